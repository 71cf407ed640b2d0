import { DEFAULT_MODEL_ID, isValidModelId } from '../domain/models/catalog';
import type { Accuracy, DeviceChoice, DtypeChoice, ModelSource, Task } from '../../workers/asr/protocol';

const STORAGE_KEY = 'earshot.settings';

interface Stored {
  modelId: string;
  sourceKind: ModelSource['kind'];
  customBaseUrl: string;
  device: DeviceChoice;
  dtype: DtypeChoice;
  language: string;
  task: Task;
  /** Prompt / hot words for both files and the microphone. */
  prompt: string;
  microphoneId: string;
  /** Earlier text as context for the next window / utterance (files and live). */
  context: boolean;
  /** Greedy or beam search (files). */
  accuracy: Accuracy;
  /** No connections beyond the app's own origin. */
  offline: boolean;
  /** Label each live utterance with its speaker. */
  liveSpeakers: boolean;
}

const DEFAULTS: Stored = {
  modelId: DEFAULT_MODEL_ID,
  sourceKind: 'huggingface',
  customBaseUrl: '',
  device: 'auto',
  dtype: 'auto',
  language: 'auto',
  task: 'transcribe',
  prompt: '',
  microphoneId: '',
  context: true,
  accuracy: 'fast',
  offline: false,
  liveSpeakers: false,
};

/**
 * What the user picked. Saved locally; `?models=<base URL>&model=<id>` (an organisation's
 * link, or a test) preselects the source and model over what was saved.
 */
export class Settings {
  modelId = $state(DEFAULTS.modelId);
  sourceKind = $state<ModelSource['kind']>(DEFAULTS.sourceKind);
  customBaseUrl = $state(DEFAULTS.customBaseUrl);
  device = $state<DeviceChoice>(DEFAULTS.device);
  dtype = $state<DtypeChoice>(DEFAULTS.dtype);
  language = $state(DEFAULTS.language);
  task = $state<Task>(DEFAULTS.task);
  prompt = $state(DEFAULTS.prompt);
  microphoneId = $state(DEFAULTS.microphoneId);
  context = $state(DEFAULTS.context);
  accuracy = $state<Accuracy>(DEFAULTS.accuracy);
  offline = $state(DEFAULTS.offline);
  liveSpeakers = $state(DEFAULTS.liveSpeakers);
  /** From the URL only (`?threads=1`), for benchmarks; not saved. */
  threads: number | undefined;
  /** A model folder picked from the disk: kept for this page's life only (files cannot be saved). */
  folder = $state.raw<{ name: string; files: Record<string, File> } | null>(null);
  /** From the URL only (`?fallback=0`): no temperature fallback, for benchmarks and tests on random-weight models. */
  fallback = true;
  /** From the URL only (`?decoder=merged`): no cached-step model, for the benchmark's side-by-side figures. */
  mergedDecoder = false;
  /** From the URL only (`?encoder=window`): the exported encoder, full 30 s windows in live mode too (the benchmark's comparison). */
  windowEncoder = false;

  constructor(search: string, storage: Storage | null) {
    let saved: Partial<Stored> = {};
    try {
      saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}');
    } catch {
      saved = {};
    }
    Object.assign(this, { ...DEFAULTS, ...saved });
    // A picked folder does not outlive the page.
    if (this.sourceKind === 'folder') this.sourceKind = DEFAULTS.sourceKind;
    const params = new URLSearchParams(search);
    const models = params.get('models');
    if (models) {
      this.sourceKind = 'custom';
      this.customBaseUrl = models;
    }
    const model = params.get('model');
    if (model && isValidModelId(model)) this.modelId = model;
    const device = params.get('device');
    if (device === 'auto' || device === 'webgpu' || device === 'wasm') this.device = device;
    const threads = Number(params.get('threads'));
    this.threads = Number.isInteger(threads) && threads > 0 ? threads : undefined;
    this.fallback = params.get('fallback') !== '0';
    this.mergedDecoder = params.get('decoder') === 'merged';
    this.windowEncoder = params.get('encoder') === 'window';
  }

  get source(): ModelSource {
    if (this.sourceKind === 'folder') return this.folder ? { kind: 'folder', ...this.folder } : { kind: 'folder', name: '', files: {} };
    if (this.sourceKind === 'custom') return { kind: 'custom', baseUrl: this.customBaseUrl };
    return { kind: this.sourceKind };
  }

  /** The model the next load asks for: a picked folder is named after itself. */
  get requestedModelId(): string {
    return this.sourceKind === 'folder' ? (this.folder?.name ?? '') : this.modelId;
  }

  save(storage: Storage | null) {
    const data: Stored = {
      modelId: this.modelId,
      sourceKind: this.sourceKind,
      customBaseUrl: this.customBaseUrl,
      device: this.device,
      dtype: this.dtype,
      language: this.language,
      task: this.task,
      prompt: this.prompt,
      microphoneId: this.microphoneId,
      context: this.context,
      accuracy: this.accuracy,
      offline: this.offline,
      liveSpeakers: this.liveSpeakers,
    };
    try {
      storage?.setItem(STORAGE_KEY, JSON.stringify(data));
    } catch {
      /* storage full or disabled: settings just won't persist */
    }
  }
}
