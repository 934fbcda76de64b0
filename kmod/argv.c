// SPDX-License-Identifier: GPL-2.0
/*
 * The command line of an exec, as the hook sees it at bprm_check_security.
 *
 * There the argument strings are already in the new process's stack
 * (bprm->mm, from bprm->p: argc NUL-terminated strings), which no other
 * task can change any more, but current->mm is still the old one, so BPF's
 * probe-read helpers cannot reach them.  The pages are read through the
 * new mm, which may sleep: only sleepable programs get this kfunc.
 */
#include <linux/binfmts.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/string.h>

#include "argv.h"

/* Copy what one page holds; returns true when the last string ended. */
static bool copy_page_strings(const u8 *src, size_t n, u8 *buf, u32 size,
			      u32 *len, u32 *strings, u32 argc)
{
	size_t i;

	for (i = 0; i < n; i++) {
		u8 c = src[i];

		if (!c) {
			if (++*strings == argc)
				return true;
			c = ' ';
		}
		if (*len < size)
			buf[*len] = c;
		/* Count one past the end: the caller reports the cut. */
		if (*len <= size)
			++*len;
		if (*len > size)
			return true;
	}
	return false;
}

/**
 * kinfer_exec_argv() - the argv of an exec being checked, space-joined
 * @bprm: the exec, at or before bprm_check_security (bprm->mm set)
 * @buf: receives the arguments separated by single spaces, exactly as
 *	" ".join(argv) (an empty argument leaves two spaces), then NUL bytes
 *	up to @size
 * @size: bytes at @buf
 *
 * Reads at most @size + 1 bytes of the strings, so the work is bounded by
 * @size whatever the argument list holds (up to the kernel's limit).
 *
 * Return: the text's length when it fits in @size, @size + 1 when it was
 * cut to @size bytes, -EINVAL without a new mm or arguments, -EFAULT
 * when a page of the strings cannot be read.
 */
int kinfer_exec_argv(struct linux_binprm *bprm, u8 *buf, u32 size)
{
	unsigned long pos;
	u32 len = 0, strings = 0;
	bool done = false;
	int ret = 0;

	memset(buf, 0, size);
	if (!bprm || !bprm->mm || bprm->argc <= 0 || size >= INT_MAX)
		return -EINVAL;
	pos = bprm->p;
	mmap_read_lock(bprm->mm);
	while (!done) {
		unsigned long off = offset_in_page(pos);
		struct page *page;
		u8 *kaddr;

		if (get_user_pages_remote(bprm->mm, pos, 1, 0, &page,
					  NULL, NULL) != 1) {
			ret = -EFAULT;
			break;
		}
		kaddr = kmap_local_page(page);
		done = copy_page_strings(kaddr + off, PAGE_SIZE - off, buf,
					 size, &len, &strings, bprm->argc);
		kunmap_local(kaddr);
		put_page(page);
		pos += PAGE_SIZE - off;
	}
	mmap_read_unlock(bprm->mm);
	return ret ? ret : len;
}
