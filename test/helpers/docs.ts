/** Reading the commands a doc tells its reader to run, so that tests can run or check each one as written. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A file of the repository, e.g. `docs/deploy.md`, `README.md`, `.ci/run`. */
export function repoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** The text from the heading line `heading` to the next heading of its level or above. */
export function markdownSection(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const level = /^#+/.exec(heading)![0].length;
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && /^#+/.exec(line)![0].length <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** The contents of the fenced blocks of `language` (```sh, ```json) in order. */
export function fencedBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]);
}

export interface ShellCommand {
  /** The command as written, without its trailing comment. */
  readonly line: string;
  /** The trailing `# …` comment, empty when there is none. */
  readonly comment: string;
}

/** Every command of the ```sh blocks: one a line, comment lines and blank lines left out. */
export function shellCommands(markdown: string): ShellCommand[] {
  return fencedBlocks(markdown, 'sh')
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => {
      // A comment starts at " # " outside quotes; the docs' commands have no # inside quotes.
      const at = line.search(/\s#\s/);
      return at < 0
        ? { line: line.trim(), comment: '' }
        : { line: line.slice(0, at).trim(), comment: line.slice(at).replace(/^\s*#\s*/, '') };
    });
}

/** The index of the `)` that closes the `$(` at `start`. */
function closingParen(line: string, start: number): number {
  let depth = 0;
  for (let j = start; j < line.length; j++) {
    if (line[j] === '(') depth++;
    if (line[j] === ')' && --depth === 0) return j;
  }
  throw new Error(`unbalanced $( in: ${line}`);
}

/** A command line's words as a POSIX shell splits them: quotes removed, a `$(…)` kept whole, also inside "…". */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '$' && line[i + 1] === '(') {
      const end = closingParen(line, i);
      word = (word ?? '') + line.slice(i, end + 1);
      i = end;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unbalanced ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '$' && line[i + 1] === '(') {
          const end = closingParen(line, i);
          word += line.slice(i, end + 1);
          i = end;
        } else word += line[i];
      }
      if (i >= line.length) throw new Error(`unbalanced " in: ${line}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The `-c key=value` pairs of a CDK command line's words, as the CDK CLI hands them to the app. */
export function contextFlags(words: readonly string[]): Record<string, string> {
  const pairs: Record<string, string> = {};
  words.forEach((word, i) => {
    if (word !== '-c' && word !== '--context') return;
    const [key, ...value] = (words[i + 1] ?? '').split('=');
    pairs[key] = value.join('=');
  });
  return pairs;
}
