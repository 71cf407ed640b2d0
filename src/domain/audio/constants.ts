/** Whisper's input rate. */
export const WHISPER_SAMPLE_RATE_HZ = 16_000;
/** Whisper sees 30 s windows. */
export const WINDOW_SECONDS = 30;
export const WINDOW_SAMPLES = WHISPER_SAMPLE_RATE_HZ * WINDOW_SECONDS;
/** One encoder frame after the stride-2 convolution = 20 ms = one timestamp token step. */
export const TIME_PRECISION_S = 0.02;
