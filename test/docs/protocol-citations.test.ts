// Every protocol citation in src/, docs/ and test/ names a section that has a
// heading in our own notes (docs/protocol/, convention in its README.md):
// "Privet §4.1.5" → privet.md, "CCS §4.2" → ccs.md, "GCP §b3" → cloudprint.md.
// A bare "§N" counts in folders that cite one document only (DEFAULT_DOCUMENT);
// sections of other documents (RFC 6120 §4.4, XEP-0199 §4, PWG 5102.4 §4) are
// not ours and are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

type Document = 'Privet' | 'CCS' | 'GCP';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NOTES: Record<Document, string> = { Privet: 'privet.md', CCS: 'ccs.md', GCP: 'cloudprint.md' };

/** Files and folders whose bare "§N" means one document. */
const DEFAULT_DOCUMENT: [prefix: string, document: Document][] = [
  ['src/privet/', 'Privet'],
  ['test/privet/', 'Privet'],
  ['test/interop/privet-', 'Privet'],
  ['docs/privet.md', 'Privet'],
  ['src/ccs/', 'CCS'],
  ['test/ccs/', 'CCS'],
  ['docs/ccs.md', 'CCS'],
  ['src/connector/', 'GCP'],
  ['test/connector/', 'GCP'],
  ['docs/connector.md', 'GCP'],
];

/** Section ids of one note: "4.1.5" from "#### 4.1.5. Deleting…", "b2" from "### B2. …", "c" from "## (c) …". */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(?:(\d+(?:\.\d+)*)\.?\s|\(([a-z])\)\s|([A-Z]\d+)\.\s)/.exec(line);
    const id = heading?.[1] ?? heading?.[2] ?? heading?.[3]?.toLowerCase();
    if (id) ids.add(id);
  }
  return ids;
}

interface Citation {
  document: Document;
  section: string;
  line: number;
}

const SECTION: Record<Document, RegExp> = {
  Privet: /^\d+(?:\.\d+)*/,
  CCS: /^\d+(?:\.\d+)*/,
  GCP: /^[a-h]\d*/,
};

/** The citations of our three documents in one file's text. */
function citations(text: string, defaultDocument?: Document): Citation[] {
  const found: Citation[] = [];
  let previous: { end: number; document: Document | 'other' | undefined } | undefined;
  for (const mark of text.matchAll(/§ ?/g)) {
    const at = mark.index;
    const before = text.slice(Math.max(0, at - 40), at);
    // The name may end the previous comment line: "(GCP\n// §d item 8)".
    const named = /(Privet|CCS|GCP|RFC ?\d+|XEP-\d+|PWG [\d.]+)[\s/*#]*$/.exec(before);
    let document: Document | 'other' | undefined;
    if (named) document = named[1] === 'Privet' || named[1] === 'CCS' || named[1] === 'GCP' ? named[1] : 'other';
    else if (previous && /^\s*(?:,|\/|and|or|–|-)?\s*$/.test(text.slice(previous.end, at))) document = previous.document;
    else document = defaultDocument;
    const rest = text.slice(at + mark[0].length);
    const section = document && document !== 'other' ? SECTION[document].exec(rest)?.[0] : undefined;
    const skipped = section ?? /^[\w.]*/.exec(rest)?.[0] ?? '';
    let end = at + mark[0].length + skipped.length;
    if (document && document !== 'other' && section) {
      const line = text.slice(0, at).split('\n').length;
      found.push({ document, section, line });
      // A range without a second mark: "Privet §4.1.3–4.1.5".
      const range = /^[–-](\d+(?:\.\d+)*)/.exec(text.slice(end));
      if (range?.[1] && document !== 'GCP') {
        found.push({ document, section: range[1], line });
        end += range[0].length;
      }
    }
    previous = { end, document };
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|md|py)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((path) => !path.startsWith('docs/protocol/') && path !== 'test/docs/protocol-citations.test.ts');
}

const sections = Object.fromEntries(
  Object.entries(NOTES).map(([document, file]) => [document, headingIds(readFileSync(join(root, 'docs/protocol', file), 'utf8'))]),
) as Record<Document, Set<string>>;

test('the notes have the headings the convention names', () => {
  for (const id of ['2.2.1', '4.1.3.2', '4.1.5', '6.2.2']) assert.ok(sections.Privet.has(id), `Privet ${id}`);
  for (const id of ['1.2', '4.2', '7']) assert.ok(sections.CCS.has(id), `CCS ${id}`);
  for (const id of ['a', 'b', 'b1', 'b2', 'b3', 'h']) assert.ok(sections.GCP.has(id), `GCP ${id}`);
});

test('the scanner finds named, listed, ranged, continued and bare citations, and skips RFC sections', () => {
  const cite = (text: string, fallback?: Document) => citations(text, fallback).map((c) => `${c.document} ${c.section}`);
  assert.deepEqual(cite('(Privet §4.1, §6.1; GCP §b2, §c)'), ['Privet 4.1', 'Privet 6.1', 'GCP b2', 'GCP c']);
  assert.deepEqual(cite('(Privet §4.1.3–4.1.5) and CCS §2–§4'), ['Privet 4.1.3', 'Privet 4.1.5', 'CCS 2', 'CCS 4']);
  assert.deepEqual(cite('// as it did (GCP\n// §d item 8).', 'Privet'), ['GCP d']);
  assert.deepEqual(cite('§4.3.3 / GCP §b3; RFC 6749 §5.2, §6; XEP-0199 §4', 'Privet'), ['Privet 4.3.3', 'GCP b3']);
  assert.deepEqual(cite('see §7 and RFC 6120 §4.4'), []);
});

test('a citation of a section with no heading is reported', () => {
  const dangling = citations('// Privet §4.9 and GCP §b7').filter((c) => !sections[c.document].has(c.section));
  assert.deepEqual(dangling.map((c) => `${c.document} §${c.section}`), ['Privet §4.9', 'GCP §b7']);
});

test('every Privet, CCS and GCP citation in src/, docs/ and test/ has a heading in docs/protocol/', () => {
  const dangling: string[] = [];
  let checked = 0;
  for (const path of [...filesUnder('src'), ...filesUnder('docs'), ...filesUnder('test')]) {
    const fallback = DEFAULT_DOCUMENT.find(([prefix]) => path.startsWith(prefix))?.[1];
    for (const citation of citations(readFileSync(join(root, path), 'utf8'), fallback)) {
      checked++;
      if (!sections[citation.document].has(citation.section)) {
        dangling.push(`${path}:${citation.line}: ${citation.document} §${citation.section} (docs/protocol/${NOTES[citation.document]})`);
      }
    }
  }
  assert.ok(checked > 200, `only ${checked} citations found: the scanner is broken`);
  assert.deepEqual(dangling, []);
});

test('no file cites protocol references outside the repository', () => {
  const outside: string[] = [];
  for (const path of [...filesUnder('src'), ...filesUnder('docs'), ...filesUnder('test'), 'README.md']) {
    readFileSync(join(root, path), 'utf8').split('\n').forEach((line, index) => {
      if (/shared\/(?:spec|seeds)|(?:cloudprint|ccs)-protocol\.md/.test(line)) outside.push(`${path}:${index + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(outside, []);
});
