/** Whisper's token limits, as OpenAI's decoding applies them. */

/** OpenAI's `sample_len`: at most half the decoder context per window. */
export const MAX_NEW_TOKENS = 224;
/** Whisper's decoder context (`max_target_positions`). */
export const DECODER_CONTEXT = 448;
/** OpenAI's prompt limit: `n_text_ctx // 2 - 1` tokens after `<|startofprev|>`. */
export const MAX_PROMPT_TOKENS = DECODER_CONTEXT / 2 - 1;
