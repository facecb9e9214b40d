// A lean path for the one call a decision makes: three strings in, one string out, through quickjs-emscripten's
// FFI directly instead of its handle objects.

import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";

/** The parts of quickjs-emscripten 0.32's FFI this path uses (all take and return plain numbers). */
interface Ffi {
  QTS_NewString(ctx: number, charPointer: number): number;
  QTS_NewArrayBuffer(ctx: number, buffer: number, length: number): number;
  QTS_GetString(ctx: number, value: number): number;
  QTS_FreeCString(ctx: number, charPointer: number): void;
  QTS_FreeValuePointer(ctx: number, value: number): void;
  QTS_Call(ctx: number, fn: number, thisValue: number, argc: number, argv: number): number;
  QTS_ResolveException(ctx: number, value: number): number;
}

interface EmscriptenParts {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** What quickjs-emscripten keeps private on a context; checked at construction, so a version change fails loudly. */
interface ContextInternals {
  ffi: Ffi;
  module: EmscriptenParts;
  ctx: { value: number };
  memory: { heapValueHandle(pointer: number): QuickJSHandle };
}

export type FastResult = { ok: true; text: string } | { ok: false; error: QuickJSHandle };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Calls `fn(a, b, c, d)` with three strings and an ArrayBuffer of float64s, and reads back the string it returns. The wrapper's own path
 * (`newString`, `callFunction`, `getString`) cost ~8 µs per decision here: emscripten encodes UTF-8 in a
 * JavaScript loop and every value becomes a tracked handle object. This writes the strings with
 * `TextEncoder.encodeInto` into one reusable buffer in the module's memory and frees every value it creates
 * before returning, so it holds nothing between calls. An exception comes back as an ordinary handle.
 */
export class FastCall {
  private readonly ffi: Ffi;
  private readonly module: EmscriptenParts;
  private readonly ctx: number;
  private readonly internals: ContextInternals;
  private readonly fn: number;
  private readonly thisValue: number;
  /** One malloc'd block: argv (4 pointers), then the strings; grown when an input needs more. */
  private block = 0;
  private blockBytes = 0;

  constructor(context: QuickJSContext, fn: QuickJSHandle) {
    const internals = context as unknown as ContextInternals;
    const { ffi, module } = internals;
    for (const name of [
      "QTS_NewString",
      "QTS_NewArrayBuffer",
      "QTS_GetString",
      "QTS_FreeCString",
      "QTS_FreeValuePointer",
      "QTS_Call",
      "QTS_ResolveException",
    ] as const) {
      if (typeof ffi?.[name] !== "function") throw new Error(`quickjs-emscripten FFI lacks ${name}`);
    }
    if (typeof module?._malloc !== "function" || typeof internals.memory?.heapValueHandle !== "function") {
      throw new Error("quickjs-emscripten internals changed: update src/policy/fastcall.ts");
    }
    this.internals = internals;
    this.ffi = ffi;
    this.module = module;
    this.ctx = internals.ctx.value;
    this.fn = fn.value as unknown as number;
    this.thisValue = context.undefined.value as unknown as number;
  }

  call(a: string, b: string, c: string, numbers: Float64Array): FastResult {
    const { ffi, module, ctx } = this;
    // 16 bytes of argv, then the strings: UTF-8 needs at most 3 bytes per UTF-16 unit, plus a NUL each.
    const need = 16 + 3 * (a.length + b.length + c.length) + 3;
    if (need > this.blockBytes) this.grow(need);
    const block = this.block;
    // QTS_NewArrayBuffer hands its buffer to the ArrayBuffer, which frees it when collected: a fresh malloc.
    const numberBytes = numbers.length * 8;
    const numbersPointer = module._malloc(Math.max(8, numberBytes));
    if (numbersPointer === 0) throw new Error("the sandbox module is out of memory");
    let heap = module.HEAPU8;
    new Float64Array(heap.buffer, numbersPointer, numbers.length).set(numbers);
    // One encodeInto for the three; a NUL inside one of them is refused (JSON.stringify escapes NUL).
    const pa = block + 16;
    const written = encoder.encodeInto(
      `${a}\0${b}\0${c}\0`,
      heap.subarray(pa, block + this.blockBytes),
    ).written;
    const pb = heap.indexOf(0, pa) + 1;
    const pc = heap.indexOf(0, pb) + 1;
    if (pc === 0 || heap.indexOf(0, pc) !== pa + written - 1) {
      module._free(numbersPointer);
      throw new TypeError("a policy input part contains NUL");
    }
    const va = ffi.QTS_NewString(ctx, pa);
    const vb = ffi.QTS_NewString(ctx, pb);
    const vc = ffi.QTS_NewString(ctx, pc);
    const vd = ffi.QTS_NewArrayBuffer(ctx, numbersPointer, numberBytes);
    heap = module.HEAPU8; // an allocation may have grown (and so replaced) the memory buffer
    const argv = new Uint32Array(heap.buffer, block, 4);
    argv[0] = va;
    argv[1] = vb;
    argv[2] = vc;
    argv[3] = vd;
    const result = ffi.QTS_Call(ctx, this.fn, this.thisValue, 4, block);
    ffi.QTS_FreeValuePointer(ctx, va);
    ffi.QTS_FreeValuePointer(ctx, vb);
    ffi.QTS_FreeValuePointer(ctx, vc);
    ffi.QTS_FreeValuePointer(ctx, vd);
    const error = ffi.QTS_ResolveException(ctx, result);
    if (error !== 0) {
      ffi.QTS_FreeValuePointer(ctx, result);
      return { ok: false, error: this.internals.memory.heapValueHandle(error) };
    }
    const chars = ffi.QTS_GetString(ctx, result);
    ffi.QTS_FreeValuePointer(ctx, result);
    heap = module.HEAPU8;
    const end = heap.indexOf(0, chars);
    const text = decoder.decode(heap.subarray(chars, end));
    ffi.QTS_FreeCString(ctx, chars);
    return { ok: true, text };
  }

  private grow(bytes: number): void {
    if (this.block !== 0) this.module._free(this.block);
    const size = Math.max(4096, 2 ** Math.ceil(Math.log2(bytes)));
    this.block = this.module._malloc(size);
    if (this.block === 0) {
      this.blockBytes = 0;
      throw new Error("the sandbox module is out of memory");
    }
    this.blockBytes = size;
  }

  /** Frees the buffer; call before the context is disposed. */
  dispose(): void {
    if (this.block !== 0) this.module._free(this.block);
    this.block = 0;
    this.blockBytes = 0;
  }
}
