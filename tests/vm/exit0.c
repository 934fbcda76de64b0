// SPDX-License-Identifier: GPL-2.0
/*
 * The exec target of the task tests: a static binary that only exits 0.
 * Under TCG /bin/true spends most of its exec in ld.so (~75 ms against
 * ~11 ms here), so a storm of these measures the hook, not the loader.
 */
void _start(void)
{
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
}
