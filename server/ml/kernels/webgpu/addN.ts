/**
 * AddN for the webgpu backend in chunks: tfjs-backend-webgpu 4.22 binds every input as a storage buffer of one
 * shader, and a device allows only `maxStorageBuffersPerShaderStage` of them (8 by default, the output
 * included), so the global gradient norm's AddN over all parameters (27 for a 1-layer BERT) failed validation
 * and silently produced zeros. Ours sums at most (limit − 1) inputs per launch, carrying the partial sum.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WebgpuLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): void;
}

export function makeAddNConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.AddN,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const inputs = args.inputs as unknown as tf.TensorInfo[];
      const backend = args.backend as unknown as WebgpuLike;
      const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
      if (inputs.length <= max) return stock.kernelFunc(args);
      let acc: tf.TensorInfo | undefined;
      for (let i = 0; i < inputs.length;) {
        const take = acc ? max - 1 : max;
        const group = inputs.slice(i, i + take);
        i += group.length;
        const part = acc ? [acc, ...group] : group;
        const next =
          part.length === 1
            ? part[0]
            : (stock.kernelFunc({
                ...args,
                inputs: part as unknown as tf.NamedTensorInfoMap,
              }) as tf.TensorInfo);
        if (acc && acc !== next) backend.disposeData(acc.dataId);
        acc = next;
      }
      return acc!;
    },
  };
}
