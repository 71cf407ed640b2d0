/** Files a person picked or dropped: folders opened, only what the app can transcribe kept. */

const MEDIA_EXT = /\.(wav|wave|mp3|m4a|aac|flac|ogg|oga|opus|webm|mp4|m4v|mov|mkv|weba|amr|3gp|aiff?|caf|wma)$/i;

/** Audio and video (by type, else by extension), in name order as a file manager lists them. */
export function mediaFiles(files: readonly File[]): File[] {
  return files
    .filter((f) => /^(audio|video)\//.test(f.type) || MEDIA_EXT.test(f.name))
    .sort((a, b) => pathOf(a).localeCompare(pathOf(b), undefined, { numeric: true }));
}

function pathOf(f: File): string {
  return (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
}

/**
 * A drop: plain files as they are (whatever they are — a wrong one gets its own message); a
 * dropped folder is walked (FileSystemEntry API; Chromium, Firefox and Safari all have it) and
 * only its media kept.
 */
export async function filesOfDrop(data: DataTransfer): Promise<File[]> {
  const entries = [...data.items].map((i) => (i.kind === 'file' ? i.webkitGetAsEntry?.() : null));
  if (!entries.some((e) => e?.isDirectory)) return [...data.files];
  const out: File[] = [];
  for (const entry of entries) {
    if (!entry) continue;
    if (entry.isDirectory) out.push(...mediaFiles(await walk(entry as FileSystemDirectoryEntry)));
    else out.push(await fileOf(entry as FileSystemFileEntry));
  }
  return out;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(dir: FileSystemDirectoryEntry): Promise<File[]> {
  const reader = dir.createReader();
  const files: File[] = [];
  // readEntries returns the entries in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) {
      if (e.isDirectory) files.push(...(await walk(e as FileSystemDirectoryEntry)));
      else files.push(await fileOf(e as FileSystemFileEntry));
    }
  }
  return files;
}
