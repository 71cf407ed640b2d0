/** What the status line says is happening. */
export type Phase = 'download' | 'compile' | 'warmup' | 'decoding-audio' | 'transcribing' | null;
