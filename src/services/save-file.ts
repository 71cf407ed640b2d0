/** Offer a file as a download. Everything stays local: a Blob URL, revoked after the click. */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveText(filename: string, text: string, mime: string) {
  saveBlob(new Blob([text], { type: `${mime};charset=utf-8` }), filename);
}

/** `interview.final.m4a` → `interview.final` */
export function baseName(filename: string): string {
  const i = filename.lastIndexOf('.');
  return i > 0 ? filename.slice(0, i) : filename || 'transcript';
}
