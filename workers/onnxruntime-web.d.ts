// onnxruntime-web's package `exports` hide its types from TypeScript's resolver; its API is
// onnxruntime-common's, which is what this declares.
declare module 'onnxruntime-web' {
  export * from 'onnxruntime-common';
}
