import type { AsrErrorName } from '../../workers/asr/protocol';

/** What the UI shows of an error: a message key with parameters, or a plain message. */
export interface UiError {
  key?: 'errBadAudio' | 'errQueueLost' | 'errScriptLoad' | 'errDatasetEmpty' | 'errDatasetNoAudio' | 'errSpeakerModels' | 'errSpeakersNoAudio' | 'errEmpty' | 'errTooLong' | 'errUnreadable' | 'errWorkerCrashed' | 'errWorkerHung' | 'errOutOfMemoryRun' | 'errMicDenied' | 'errMicNoDevice' | 'errMicBusy' | 'errMicUnsupported' | 'errMicLost' | 'errMicSuspended' | 'errSourceBlocked' | 'errOfflineMode' | 'errExport' | 'errQuota' | AsrErrorKey;
  params?: Record<string, string | number>;
  message?: string;
}

/**
 * A worker error in the UI language: the worker names the kind (`Error.name`), the UI words it.
 * Kinds without their own words show the worker's message.
 */
export function uiErrorFor(err: Error, modelId: string): UiError {
  const model = { model: modelId };
  switch (err.name as AsrErrorName) {
    case 'ModelNotFound':
      return { key: 'errModelNotFound', params: model };
    case 'NotAModelSource':
      return { key: 'errNotAModelSource', params: { ...model, url: /https?:\/\/\S+?config\.json/.exec(err.message)?.[0] ?? '' } };
    case 'NoOnnxWeights':
      return { key: 'errNoOnnx', params: { ...model, file: /onnx\/[^\s")]+/.exec(err.message)?.[0] ?? '' } };
    case 'NotWhisper':
      return { key: 'errNotWhisper', params: model };
    case 'NetworkError':
      return { key: 'errNetwork', params: model };
    case 'DownloadInterrupted':
      return { key: 'errDownloadCut', params: model };
    case 'CorruptCache':
      return { key: 'errCorruptCache', params: model };
    case 'OutOfMemory':
      return { key: 'errOutOfMemory', params: model };
    case 'DtypeNoKernel':
      return { key: 'errDtypeNoKernel', params: { ...model, dtype: / in (\S+) uses/.exec(err.message)?.[1] ?? '', op: / uses (\w+)/.exec(err.message)?.[1] ?? '' } };
    case 'DtypeUnsupported':
      return { key: 'errDtypeWebgpu', params: { dtype: /^(\w+) gives/.exec(err.message)?.[1] ?? '' } };
    case 'WebGpuUnavailable':
      return { key: /shader-f16/.test(err.message) ? 'errNoShaderF16' : 'errNoWebGpu' };
    case 'OfflineMode':
      return { key: 'errOfflineModeLoad', params: { host: /connecting to (\S+)\.\s/.exec(err.message)?.[1] ?? '' } };
    default:
      return { message: err.message };
  }
}

type AsrErrorKey = 'errModelNotFound' | 'errNotAModelSource' | 'errNoOnnx' | 'errNotWhisper' | 'errNetwork' | 'errDownloadCut' | 'errCorruptCache' | 'errOutOfMemory' | 'errNoShaderF16' | 'errNoWebGpu' | 'errDtypeWebgpu' | 'errDtypeNoKernel' | 'errOfflineModeLoad';

