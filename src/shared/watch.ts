// Calls back (debounced) when any of the given files or folders changes, the way a mounted ConfigMap
// changes: kubelet writes a new `..<timestamp>` folder and swaps the `..data` symlink, so the files a
// pod reads (symlinks through `..data`) change without an event on the files themselves. Watching the
// folder that holds each file (for a file) or the folder itself, recursively (for a folder), sees both
// a plain edit and the swap. Node's own fs.watch (inotify on Linux) is enough: the test swaps a real
// symlink laid out like a ConfigMap volume.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface Watched {
  path: string;
  kind: 'file' | 'folder';
}

export function watchPaths(paths: readonly Watched[], onChange: () => void, debounceMs = 1000): () => void {
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  const byFolder = new Map<string, Set<string>>();
  for (const p of paths) {
    if (p.kind === 'folder') {
      try {
        watchers.push(watch(p.path, { recursive: true, persistent: false }, fire));
      } catch {
        /* a folder that is gone: the reload that follows says so */
      }
      continue;
    }
    const names = byFolder.get(dirname(p.path)) ?? new Set<string>();
    names.add(basename(p.path));
    byFolder.set(dirname(p.path), names);
  }
  for (const [folder, names] of byFolder) {
    try {
      watchers.push(
        watch(folder, { persistent: false }, (_event, name) => {
          // The file itself, or a ConfigMap's `..data` / `..2026_...` entries; not unrelated neighbours.
          if (!name || names.has(name) || name.startsWith('..')) fire();
        }),
      );
    } catch {
      /* as above */
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
