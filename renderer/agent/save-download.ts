// Saves text the console built (main/console/audit-export.ts) as a file download: a Blob, an object URL, a link
// with `download`, clicked once, then released. Nothing is sent anywhere: the file goes to the browser's downloads.
export function saveDownload(fileName: string, mediaType: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${mediaType};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Released after the click has been handled: revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
