/** A `tree`-like listing of written files, for human output. */
export interface TreeEntry {
  path: string;
  mode: string;
}

/** Renders `root` and the files under it as an indented tree, with each file's mode. */
export function printTree(root: string, files: TreeEntry[]): string {
  const lines = [root];
  const paths = [...files].sort((a, b) => a.path.localeCompare(b.path));
  const seen = new Set<string>();
  for (const file of paths) {
    const parts = file.path.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const key = parts.slice(0, depth + 1).join('/');
      if (seen.has(key)) continue;
      seen.add(key);
      const isFile = depth === parts.length - 1;
      lines.push(`${'  '.repeat(depth + 1)}${parts[depth]}${isFile ? `  ${file.mode}` : '/'}`);
    }
  }
  return lines.join('\n');
}
