"""The Triton kernels compile for a CUDA GPU (sm_90, an H100) without one: Triton's code
generator, the LLVM backend and ptxas (shipped in the triton wheel) run on the CPU. The
interpreter (test_triton.py) runs the kernels' Python; this catches what only the compiler sees
(types of loop-carried values, constexpr branches). Skipped under TRITON_INTERPRET=1, where
``@triton.jit`` gives an interpreted function."""

from __future__ import annotations

import inspect

import pytest

from arma_core import _banded_triton

pytestmark = pytest.mark.skipif(
    not _banded_triton.AVAILABLE or _banded_triton.interpreting(),
    reason="needs triton, and the compiler rather than the interpreter",
)

POINTERS = {
    "factors_kernel": ("co_ptr", "minv_ptr", "beta_ptr", "negc_ptr", "z_ptr", "w_ptr"),
    "axis_kernel": (
        "src_ptr", "dst_ptr", "minv_ptr", "beta_ptr", "negc_ptr", "z_ptr", "w_ptr", "co_ptr",
        "y_ptr", "zbuf_ptr", "part_ptr",
    ),
}  # fmt: skip


def _compile(name: str, dtype: str, constexprs: dict, num_warps: int):
    from triton import compile as triton_compile
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from arma_core import _banded_triton_kernels as kernels

    fn = getattr(kernels, name)
    signature = {}
    for arg in inspect.signature(fn.fn).parameters:
        if arg in constexprs:
            signature[arg] = "constexpr"
        elif arg == "co_ptr" and name == "factors_kernel":
            signature[arg] = "*fp64"  # the factors are always computed in float64
        else:
            signature[arg] = f"*{dtype}" if arg in POINTERS[name] else "i32"
    source = ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    options = {"num_warps": num_warps}
    return triton_compile(source, target=GPUTarget("cuda", 90, 32), options=options)


@pytest.mark.parametrize("dtype", ["fp32", "fp64"])
@pytest.mark.parametrize("cyclic", [False, True])
def test_every_kernel_variant_compiles_to_a_cubin(dtype, cyclic):
    for left in (0, 1):  # the stages and the transposed stages
        consts = {"CYCLIC": cyclic, "LEFT": left, "BLOCK": _banded_triton._BLOCK_STAGES}
        assert _compile("factors_kernel", dtype, consts, num_warps=1).asm["cubin"]
    for adjoint, need_co in ((False, False), (True, False), (True, True)):
        consts = {"CYCLIC": cyclic, "ADJOINT": adjoint, "NEED_CO": need_co,
                  "BLOCK": _banded_triton._BLOCK_LINES}  # fmt: skip
        assert _compile("axis_kernel", dtype, consts, num_warps=4).asm["cubin"]
