/** Who spoke when: speaker turns and the options a user sets, shared by the worker and the page. */

/** One stretch of one speaker's speech. `speaker` is 0-based, numbered by first appearance. Turns of different speakers may overlap. */
export interface SpeakerTurn {
  start: number;
  end: number;
  speaker: number;
}

/** As pyannote: a known number of speakers, or a range, or automatic (all unset). */
export interface SpeakerCount {
  exactly?: number;
  min?: number;
  max?: number;
}

/** The speaker counts the data allow around the one found: equal when the count is clear. */
export interface LikelyCount {
  min: number;
  max: number;
}

export interface DiarizationResult {
  turns: SpeakerTurn[];
  speakers: number;
  /** With an automatic count or a range: how sure the count is. Null when the user gave the number. */
  likely: LikelyCount | null;
}
