"""BPF_PROG_TEST_RUN of a pinned program from Python (libbpf through ctypes).

bpftool prog run insists on data_in, which syscall programs refuse; their
context is copied in and, after the run, back into the same buffer.
"""
from __future__ import annotations

import ctypes
import os


class _TestRunOpts(ctypes.Structure):
    """libbpf's struct bpf_test_run_opts (libbpf 1.1)."""

    _fields_ = [
        ("sz", ctypes.c_size_t),
        ("data_in", ctypes.c_void_p),
        ("data_out", ctypes.c_void_p),
        ("data_size_in", ctypes.c_uint32),
        ("data_size_out", ctypes.c_uint32),
        ("ctx_in", ctypes.c_void_p),
        ("ctx_out", ctypes.c_void_p),
        ("ctx_size_in", ctypes.c_uint32),
        ("ctx_size_out", ctypes.c_uint32),
        ("retval", ctypes.c_uint32),
        ("repeat", ctypes.c_int),
        ("duration", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("cpu", ctypes.c_uint32),
        ("batch_size", ctypes.c_uint32),
    ]


_lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
_lib.bpf_obj_get.argtypes = [ctypes.c_char_p]
_lib.bpf_prog_test_run_opts.argtypes = [ctypes.c_int, ctypes.POINTER(_TestRunOpts)]


class PinnedProgram:
    def __init__(self, path: str) -> None:
        self.fd = _lib.bpf_obj_get(path.encode())
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), f"bpf_obj_get {path}")

    def run(self, ctx: bytearray) -> int:
        """Run once with ctx (updated in place); the program's return value."""
        buf = (ctypes.c_char * len(ctx)).from_buffer(ctx)
        opts = _TestRunOpts(sz=ctypes.sizeof(_TestRunOpts))
        opts.ctx_in = ctypes.addressof(buf)
        opts.ctx_size_in = len(ctx)
        err = _lib.bpf_prog_test_run_opts(self.fd, ctypes.byref(opts))
        if err:
            raise OSError(-err, "BPF_PROG_TEST_RUN")
        return ctypes.c_int32(opts.retval).value

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
