// Faster `Slice` and `Identity` kernels for tfjs-backend-wasm 4.22 (additive; same results).
//
// Slice: the stock kernel starts with
// `backend.readSync(x)`, which copies the WHOLE input out of the wasm heap before copying the
// slice, so every tf.slice / tf.split / tf.unstack of a large tensor costs a full copy of it
// (measured: 256 slices of a [256, 32, 512] tensor take ~4 s; this kernel: milliseconds). This
// version reads the input through a heap view (typedArrayFromHeap) after allocating the output
// (allocation can grow, and so detach, the heap), and otherwise does exactly what the stock one
// does. Same results bit for bit; string tensors are left to the stock implementation.
//
// Identity: the stock kernel copies the buffer. tfjs-core runs it for every tensor a kernel saves
// for backprop (engine.saveTensorsForBackwardMode -> clone), so on wasm every saved activation was
// duplicated (about half of a training step's memory, plus the copy time). This one shares the
// buffer and bumps its reference count, exactly as the stock wasm Reshape kernel and tfjs's own cpu
// backend Identity kernel already do;
// tfjs never writes into an existing tensor buffer (kernels write fresh outputs, Variable.assign
// swaps buffers), so sharing is safe.
//
// Call `registerFastWasmKernels()` once the wasm backend module is loaded (idempotent; a no-op
// when it is not).
import { tf } from '../tf.ts';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let done = false;

export function registerFastWasmKernels(): void {
  if (done) return;
  const stock = tf.getKernel('Slice', 'wasm');
  if (!stock || !tf.getKernel('Identity', 'wasm')) return; // the wasm backend is not loaded: nothing to replace
  done = true;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = (inputs as { x: tf.TensorInfo }).x;
      (backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  const stockFunc = stock.kernelFunc;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, attrs, backend } = args;
      const x = (inputs as { x: tf.TensorInfo }).x;
      if (x.dtype === 'string') return stockFunc(args);
      const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
      const be = backend as unknown as WasmBackendLike;
      const out = be.makeOutput(s, x.dtype);
      if (tf.util.sizeFromShape(s) === 0) return out;
      const xv = be.typedArrayFromHeap(x);
      const ov = be.typedArrayFromHeap(out);
      const strides = tf.util.computeStrides(x.shape);
      if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
        const off = tf.slice_util.computeFlatOffset(b, strides);
        ov.set(xv.subarray(off, off + tf.util.sizeFromShape(s)));
        return out;
      }
      // Generic strided copy in contiguous runs: trailing dimensions taken whole merge into the run.
      const rank = x.shape.length;
      let r = rank - 1; // dims r.. form one contiguous run
      while (r > 0 && s[r] === x.shape[r] && b[r] === 0) r--;
      const inner = tf.util.sizeFromShape(s.slice(r));
      const outer = tf.util.sizeFromShape(s.slice(0, r));
      const stride = (d: number) => (d < rank - 1 ? strides[d] : 1); // computeStrides omits the last (1)
      const idx = new Array<number>(r).fill(0);
      let o = 0;
      for (let q = 0; q < outer; q++) {
        let off = b[r] * stride(r);
        for (let d = 0; d < r; d++) off += (b[d] + idx[d]) * stride(d);
        ov.set(xv.subarray(off, off + inner), o);
        o += inner;
        for (let d = r - 1; d >= 0; d--) {
          if (++idx[d] < s[d]) break;
          idx[d] = 0;
        }
      }
      return out;
    },
  });
}
