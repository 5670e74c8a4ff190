import type { LeakkitErrorDetails } from '../errors.js';
import { LeakkitError } from '../errors.js';
import type { HeapGraphData } from './data.js';
import { StringTable } from './data.js';

/** What {@link HeapSnapshotParserOptions.onProgress} receives. */
export interface HeapParseProgress {
  /** Bytes of the snapshot consumed so far. */
  bytesRead: number;
  /** Size of the whole snapshot when it is known (a file), `undefined` for a stream. */
  totalBytes: number | undefined;
}

/** Options of {@link HeapSnapshotParser} and {@link parseHeapSnapshot}. */
export interface HeapSnapshotParserOptions {
  /**
   * Name of the input, used in error messages and `LeakkitError.file`.
   * @default undefined (messages say "at byte N" only)
   */
  file?: string;
  /**
   * Size of the whole input in bytes, when known. It bounds every count in the header before
   * anything is allocated (a number in an array takes at least 2 bytes) and lets the arrays be
   * allocated once at their exact size; without it they grow geometrically as data arrives.
   * More input than this is an error.
   * @default undefined
   */
  totalBytes?: number;
  /**
   * Called as the parse advances (at most about once per MiB, and once at the end): drives a
   * progress bar. It runs synchronously inside `write()`; keep it cheap.
   * @default undefined
   */
  onProgress?: (progress: HeapParseProgress) => void;
  /**
   * Allocate the node and edge arrays at the header's counts even without `totalBytes`. Only for a
   * source that cannot lie, such as V8's own serialiser in this process: it saves the copies (and the
   * momentary 1.5× peak) of growing them. The counts are still checked against the arrays.
   * @default false
   */
  trustCounts?: boolean;
}

// ---------------------------------------------------------------- states
// Top level: `{ "snapshot": {…}, "nodes": […], … }`.
const T_BEGIN = 0; // before the opening `{`
const T_FIRST_KEY = 1; // after `{`: `"snapshot"` must come first
const T_KEY = 2; // inside a key string
const T_COLON = 3;
const T_VALUE = 4; // before a value: dispatch on the key
const T_HEADER = 5; // inside the snapshot header object
const T_NUMBERS = 6; // inside a number array
const T_STRINGS = 7; // inside the strings array
const T_SKIP = 8; // inside a value we do not keep
const T_AFTER_VALUE = 9; // `,` or `}`
const T_NEXT_KEY = 10; // after `,`: a key
const T_DONE = 11; // after the closing `}`: whitespace only
const T_TRACE_TREE = 12; // inside trace_tree (nested arrays)
const T_SKIP_EDGES = 13; // inside "edges" while another thread parses them: looking for `]`

// Number arrays.
const N_FIRST = 0; // after `[`: a number or `]`
const N_VALUE = 1; // after `,`: a number
const N_NUMBER = 2; // inside the digits of a number
const N_AFTER = 3; // after a number: `,` or `]`
const N_MINUS = 4; // after a `-` (locations only): a digit

// Which number array we are in.
const K_NODES = 0;
const K_EDGES = 1;
const K_LOCATIONS = 2;
const K_IGNORED = 3;
const K_TRACE_FUNCTIONS = 4;

// What a trace tree node field is (meta.trace_node_fields).
const TT_IGNORE = 0;
const TT_ID = 1;
const TT_FUNCTION = 2;
const TT_COUNT = 3;
const TT_SIZE = 4;
const TT_CHILDREN = 5;
const TRACE_NODE_ROLES: Record<string, number> = {
  id: TT_ID,
  function_info_index: TT_FUNCTION,
  count: TT_COUNT,
  size: TT_SIZE,
  children: TT_CHILDREN,
};
// Deeper than any JS stack can be: a guard against `[[[[…` input, not a real limit.
const MAX_TRACE_DEPTH = 1 << 20;

// The strings array.
const S_FIRST = 0; // after `[`: `"` or `]`
const S_VALUE = 1; // after `,`: `"`
const S_AFTER = 2; // after a string: `,` or `]`
const S_IN = 3; // inside a string
const S_ESCAPE = 4; // after a backslash
const S_HEX = 5; // inside the 4 hex digits of \uXXXX
const S_HIGH = 6; // after a \uD800-\uDBFF escape: only a \uDC00-\uDFFF escape completes it

// What a node / edge / location field is, by its position in the record.
const F_IGNORE = 0;
const F_OBJECT = 9;
const F_SCRIPT = 10;
const F_LINE = 11;
const F_COLUMN = 12;

const MAX_U32 = 0xffff_ffff;
// The header is ~1.5 KB in every V8 version; anything far bigger is not a heap snapshot.
const MAX_STRING_BYTES = MAX_U32;
const MAX_HEADER_BYTES = 1 << 20;
const MAX_KEY_BYTES = 256;
// Arrays whose final size is unknown (a stream of unknown length) start here and double.
const INITIAL_CAPACITY = 1 << 16;
const PROGRESS_EVERY = 1 << 20;
// The number loops' fast path starts a record only this far from the chunk's end. A record as V8
// writes it (3 to 7 numbers of at most 10 digits) fits easily; one that does not (very long numbers,
// many fields) is caught by the `digitEnd` check and handed to the careful loop. Reading past the
// chunk can only happen for a run of digits longer than the margin, and a typed array read out of
// range gives undefined, which is no digit: the loop stops there either way.
const FAST_MARGIN = 256;
// The first run of each fast path covers this many bytes only (see #fastEnd).
const WARM_UP_BYTES = 4096;
const W_NODES = 1;
const W_EDGES = 2;
const W_LOCATIONS = 4;
const W_STRINGS = 8;
// A byte minus 48 (as the digit loops see it) for `,` and `\n`.
const COMMA_DIGIT = 0x2c - 48;
const NEWLINE_DIGIT = 0x0a - 48;

const LOCATION_FIELD_ROLES: Record<string, number> = {
  object_index: F_OBJECT,
  script_id: F_SCRIPT,
  line: F_LINE,
  column: F_COLUMN,
};
const REQUIRED_NODE_FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count'];
const REQUIRED_EDGE_FIELDS = ['type', 'name_or_index', 'to_node'];
const REQUIRED_LOCATION_FIELDS = ['object_index', 'script_id', 'line', 'column'];

const KNOWN_NUMBER_ARRAYS = new Set(['samples']);

const utf8 = new TextDecoder();

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function showByte(c: number): string {
  if (c >= 0x21 && c <= 0x7e) return `\`${String.fromCharCode(c)}\``;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function grownCapacity(current: number, needed: number, limit: number): number {
  let next = Math.max(current * 2, INITIAL_CAPACITY);
  if (next < needed) next = needed;
  return Math.min(next, limit);
}

function growU32(a: Uint32Array, capacity: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(capacity);
  b.set(a.subarray(0, Math.min(a.length, capacity)));
  return b;
}

function growU8(a: Uint8Array, capacity: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(capacity);
  b.set(a.subarray(0, Math.min(a.length, capacity)));
  return b;
}

/**
 * State of the edges' fast path (readEdgeRecords): the counters it advances and what it checks
 * against. Plain data, so that a worker can hold one too.
 */
export interface EdgeRun {
  /** Edges stored so far; the next record goes here. */
  edge: number;
  /** The largest name_or_index of an edge whose type names it by string, -1 for none. */
  maxEdgeName: number;
  edgeCapacity: number;
  edgeType: Uint8Array;
  edgeNameOrIndex: Uint32Array;
  edgeTo: Uint32Array;
  /** Node fields: to_node is a node field offset, a multiple of this. */
  nf: number;
  /** nodeCount × nf: to_node must be below it. */
  toLimit: number;
  edgeTypeCount: number;
  /** Per edge type: 1 when name_or_index is an index (element, hidden), not a string. */
  edgeIsIndex: Uint8Array;
}

/** What a worker needs to parse "edges" into shared memory (see delegateEdges). */
export interface EdgesJob {
  /**
   * Where to look for the array: "edges" is the first `"edges"` key from here on that `:` and `[`
   * follow (numbers hold no quote, and V8 writes only "nodes", of a known least length, between
   * the header and "edges"). The parser checks the guess against where it finds the array.
   */
  searchFrom: number;
  edgeCount: number;
  nf: number;
  toLimit: number;
  edgeTypeCount: number;
  edgeIsIndex: Uint8Array;
  /** The parser's edge arrays, on SharedArrayBuffers. */
  edgeType: Uint8Array;
  edgeNameOrIndex: Uint32Array;
  edgeTo: Uint32Array;
  /**
   * When the calling thread takes the edges from the end while the worker takes them from the
   * front (see {@link claimEdges}): `[lock, low, high]` on a SharedArrayBuffer, the edges
   * `low .. high - 1` being the ones nobody has taken yet. Absent: the worker takes them all.
   */
  claims?: Int32Array;
}

/**
 * What the worker reports: it took the array to start at `start` (the first byte after `[`, -1
 * when it found none); edges `0 .. edge - 1` are stored and checked; the rest starts at `stoppedAt`.
 */
export interface EdgesResult {
  start: number;
  edge: number;
  maxEdgeName: number;
  /** Offset of the first record the worker did not take (a record's first byte). */
  stoppedAt: number;
}

/** Completes delegated edges: feed it exactly the bytes `from .. to - 1`, then call `end()`. */
export interface EdgesResume {
  readonly from: number;
  readonly to: number;
  write(chunk: Uint8Array): void;
  end(): void;
}

let parserInternals: {
  delegate(parser: HeapSnapshotParser, onEdges: (job: EdgesJob) => void): void;
  edgesRange(parser: HeapSnapshotParser): { start: number; end: number };
  resume(parser: HeapSnapshotParser, result: EdgesResult): EdgesResume;
  complete(parser: HeapSnapshotParser, maxEdgeName: number): void;
};

/**
 * Lets another thread parse the "edges" array: once the header is read the parser calls `onEdges`
 * with the job, and in "edges" it only looks for the array's end; before `end()`, give it the
 * worker's result with {@link resumeEdges}. Only a parser that knows `totalBytes` delegates (its
 * edge arrays are then allocated on SharedArrayBuffers), and only for V8's edge layout. Not part
 * of the public API: `HeapGraph.fromFile` uses it.
 */
export function delegateEdges(parser: HeapSnapshotParser, onEdges: (job: EdgesJob) => void): void {
  parserInternals.delegate(parser, onEdges);
}

/** Where the delegated edges are: `start` after `[`, `end` at `]` (-1 until the parser saw them). */
export function delegatedEdges(parser: HeapSnapshotParser): { start: number; end: number } {
  return parserInternals.edgesRange(parser);
}

/**
 * See {@link delegateEdges}: every delegated edge is stored and checked (the worker's from the front,
 * the calling thread's from the end, meeting at one record and ending at the array's `]`):
 * nothing to resume. `maxEdgeName` is the largest string-named edge name of both.
 */
export function completeEdges(parser: HeapSnapshotParser, maxEdgeName: number): void {
  parserInternals.complete(parser, maxEdgeName);
}

/** See {@link delegateEdges}: checks and completes the edges from the worker's result. */
export function resumeEdges(parser: HeapSnapshotParser, result: EdgesResult): EdgesResume {
  return parserInternals.resume(parser, result);
}

/**
 * The edges' fast path for V8's layout (type, name_or_index, to_node): whole records from `start`
 * (a record's first byte) while they surely fit before `end`; returns the first byte of the first
 * record it did not take. Any doubt (whitespace, a long number, a value to reject, a full array, the
 * closing `]`) stops it there, and the careful loop of the parser takes that record, errors and all.
 *
 * Self-contained on purpose (no name from outside its body, constants inlined): an edge worker runs
 * this function's source text, so the parser and the worker check edges with the same code.
 */
export function readEdgeRecords(buf: Uint8Array, start: number, end: number, run: EdgeRun): number {
  // FAST_MARGIN of the parser: a record starts only this far from the end.
  const fastEnd = end - 256;
  const digitEnd = end - 2;
  const MAX_U32 = 0xffff_ffff;
  const COMMA = 0x2c - 48;
  const NEWLINE = 0x0a - 48;
  const { edgeCapacity, edgeType, edgeNameOrIndex, edgeTo, nf, toLimit, edgeTypeCount, edgeIsIndex } = run;
  const inverseNf = 1 / nf;
  let edge = run.edge;
  let maxEdgeName = run.maxEdgeName;
  let q = start;
  while (q < fastEnd && edge < edgeCapacity) {
    // Three numbers in locals; a byte minus 48 is a digit when it is 0 to 9.
    let r = q;
    let type = buf[r]! - 48;
    if (type < 0 || type > 9) break;
    let d = buf[++r]! - 48;
    while (d >= 0 && d <= 9) {
      type = type * 10 + d;
      d = buf[++r]! - 48;
    }
    if (d !== COMMA || type >= edgeTypeCount) break;
    let name = buf[++r]! - 48;
    if (name < 0 || name > 9) break;
    d = buf[++r]! - 48;
    while (d >= 0 && d <= 9) {
      name = name * 10 + d;
      d = buf[++r]! - 48;
    }
    if (d !== COMMA || name > MAX_U32) break;
    let to = buf[++r]! - 48;
    if (to < 0 || to > 9) break;
    d = buf[++r]! - 48;
    while (d >= 0 && d <= 9) {
      to = to * 10 + d;
      d = buf[++r]! - 48;
    }
    if (r > digitEnd) break;
    // `,` between numbers, `\n,` between records as V8 writes them.
    if (d === COMMA) r++;
    else if (d === NEWLINE && buf[r + 1] === 0x2c) r += 2;
    else break;
    // A multiplication instead of a division (this runs 50 M times on a big heap); exact for
    // multiples of nf below 2^32, and the check rejects everything else.
    const target = (to * inverseNf + 0.5) >>> 0;
    if (to >= toLimit || target * nf !== to) break;
    edgeType[edge] = type;
    edgeNameOrIndex[edge] = name;
    if (name > maxEdgeName && edgeIsIndex[type] === 0) maxEdgeName = name;
    edgeTo[edge++] = target;
    q = r;
  }
  run.edge = edge;
  run.maxEdgeName = maxEdgeName;
  return q;
}

/**
 * A new `claims` array for {@link EdgesJob.claims}: nothing taken yet of `edgeCount` edges.
 * Undefined when the count does not fit an Int32 (the worker then takes every edge).
 */
export function edgeClaims(edgeCount: number): Int32Array | undefined {
  if (!(Number.isSafeInteger(edgeCount) && edgeCount >= 0 && edgeCount < 0x7fff_ffff)) return undefined;
  const claims = new Int32Array(new SharedArrayBuffer(12));
  claims[2] = edgeCount;
  return claims;
}

/**
 * Takes up to `most` edges off the end of what is left of `claims` (see {@link EdgesJob.claims})
 * and returns how many it took: the edges `high - taken .. high - 1`, `high` as it was. The
 * worker's side, the front, is the same lock in its own source text (edge-worker.ts).
 */
export function claimEdges(claims: Int32Array, most: number): number {
  while (Atomics.compareExchange(claims, 0, 0, 1) !== 0) {
    // The other side holds the lock for a few instructions.
  }
  const low = Atomics.load(claims, 1);
  const high = Atomics.load(claims, 2);
  const taken = Math.max(0, Math.min(most, high - low));
  Atomics.store(claims, 2, high - taken);
  Atomics.store(claims, 0, 0);
  return taken;
}

/** Where {@link readEdgeLines} puts what it reads: record by record, and where each started. */
export interface EdgeLines {
  type: Uint8Array;
  name: Uint32Array;
  to: Uint32Array;
  start: Uint32Array;
}

/**
 * Reads V8's edge records in `buf[start .. end - 1]`: `type,name,to` records separated by `\n,`,
 * the last one ending exactly at `end`. Node index instead of field offset in `to`, as stored.
 * Returns the number of records, or -1 at any doubt (another layout, a value to reject): the
 * parser's careful loop then reads these bytes again and says what is wrong. The same checks as
 * {@link readEdgeRecords}, for the calling thread's share of the edges taken from the end.
 */
export function readEdgeLines(
  buf: Uint8Array,
  start: number,
  end: number,
  run: Pick<EdgeRun, 'nf' | 'toLimit' | 'edgeTypeCount'>,
  out: EdgeLines,
): number {
  const MAX_U32 = 0xffff_ffff;
  const { nf, toLimit, edgeTypeCount } = run;
  const inverseNf = 1 / nf;
  const { type: outType, name: outName, to: outTo, start: outStart } = out;
  const capacity = outType.length;
  let k = 0;
  let r = start;
  while (r < end) {
    if (k === capacity) return -1;
    outStart[k] = r;
    let type = buf[r]! - 48;
    if (type < 0 || type > 9) return -1;
    let d = buf[++r]! - 48;
    while (d >= 0 && d <= 9 && r < end) {
      type = type * 10 + d;
      d = buf[++r]! - 48;
    }
    if (r >= end || d !== 0x2c - 48 || type >= edgeTypeCount) return -1;
    let name = buf[++r]! - 48;
    if (name < 0 || name > 9) return -1;
    d = buf[++r]! - 48;
    while (d >= 0 && d <= 9 && r < end) {
      name = name * 10 + d;
      d = buf[++r]! - 48;
    }
    if (r >= end || d !== 0x2c - 48 || name > MAX_U32) return -1;
    let to = buf[++r]! - 48;
    if (to < 0 || to > 9) return -1;
    ++r;
    while (r < end) {
      d = buf[r]! - 48;
      if (d < 0 || d > 9) break;
      to = to * 10 + d;
      r++;
    }
    const target = (to * inverseNf + 0.5) >>> 0;
    if (to >= toLimit || target * nf !== to) return -1;
    outType[k] = type;
    outName[k] = name;
    outTo[k++] = target;
    if (r === end) break;
    // `\n,` before the next record.
    if (buf[r] !== 0x0a || buf[r + 1] !== 0x2c || r + 2 >= end) return -1;
    r += 2;
  }
  return k;
}

interface HeaderInfo {
  nodeFields: string[];
  edgeFields: string[];
  locationFields: string[] | undefined;
  traceFunctionInfoFields: string[] | undefined;
  nodeTypeNames: string[];
  edgeTypeNames: string[];
  nodeCount: number;
  edgeCount: number;
  rootIndex: number;
}

/**
 * A push parser for V8 `.heapsnapshot` files: feed it the bytes in chunks of any size with
 * {@link HeapSnapshotParser.write}, then call {@link HeapSnapshotParser.end} for the
 * {@link HeapGraphData}. It never holds the JSON text: the small header object is the only part
 * given to `JSON.parse`; every number goes straight from its digits into a typed array sized from the
 * header's counts, and strings are unescaped straight into one UTF-8 byte table. A chunk boundary may
 * fall anywhere, inside a number, a string, an escape or a UTF-8 sequence.
 *
 * The meta decides the field order (Node 24 has no `trace_node_id`, Node 20 an extra node type);
 * `snapshot` must come first, the other keys may come in any order and unknown ones are skipped.
 * `trace_function_infos` and `trace_tree` (allocation tracking only) are kept, flattened, as
 * `allocationTraces`; `samples` is checked and dropped.
 *
 * Anything that is not a well-formed snapshot (truncated, counts that do not match the arrays, missing
 * meta fields, edges to nodes that do not exist, trailing bytes, …) throws a `LeakkitError` with code
 * `ERR_LEAKKIT_BAD_SNAPSHOT` whose `offset` is the byte where it was seen; the parser is then unusable.
 *
 * @example
 * ```ts
 * const parser = new HeapSnapshotParser({ file: 'app.heapsnapshot', totalBytes: size });
 * for await (const chunk of createReadStream('app.heapsnapshot')) parser.write(chunk);
 * const data = parser.end();
 * ```
 */
export class HeapSnapshotParser {
  readonly #file: string | undefined;
  readonly #totalBytes: number | undefined;
  readonly #onProgress: ((progress: HeapParseProgress) => void) | undefined;
  #reported = -1;
  readonly #trustCounts: boolean;

  #error: LeakkitError | undefined;
  #ended = false;
  /** Bytes consumed before the current chunk: `#base + pos` is an absolute offset. */
  #base = 0;
  #nextProgress = PROGRESS_EVERY;
  #state = T_BEGIN;

  // Key being read and the key whose value we are in.
  #keyBytes = new Uint8Array(MAX_KEY_BYTES);
  #keyLength = 0;
  #keyEscape = false;
  #key = '';
  #keyStart = 0;
  #seen = new Set<string>();

  // Header object: raw bytes until its closing brace.
  #header = new Uint8Array(4096);
  #headerLength = 0;
  #headerDepth = 0;
  #headerInString = false;
  #headerEscape = false;

  // Generic skipping of values we do not keep.
  #skipDepth = 0;
  #skipInString = false;
  #skipEscape = false;
  #skipScalar = false;
  /** Whether the current value's first byte (`[`, `{`, `"` or a scalar's) has been looked at. */
  #valueStarted = false;

  // Number arrays.
  #kind = K_IGNORED;
  #numState = N_FIRST;
  #numValue = 0;
  #numNegative = false;
  #field = 0;

  // From the header.
  #info: HeaderInfo | undefined;
  #nf = 0;
  #ef = 0;
  #lf = 0;
  /** Positions in a node record of type, name, id, self_size, edge_count, trace_node_id, detachedness (-1: absent). */
  #nodeIndex: [number, number, number, number, number, number, number] = [0, 0, 0, 0, 0, -1, -1];
  /** Positions in an edge record of type, name_or_index, to_node. */
  #edgeIndex: [number, number, number] = [0, 0, 0];
  #locationRoles = new Uint8Array(0);
  /** The record being read (nodes, edges): its numbers by field position. */
  #rec = new Uint32Array(0);
  #edgeIsIndex = new Uint8Array(0);
  #nodeTypeCount = 0;
  #edgeTypeCount = 0;

  // Nodes.
  #nodeCapacity = 0;
  #node = 0;
  #edgeSum = 0;
  #maxNodeName = -1;
  #nodeType: Uint8Array = new Uint8Array(0);
  #nodeName = new Uint32Array(0);
  #nodeId = new Uint32Array(0);
  #nodeSelfSize = new Uint32Array(0);
  #firstEdge: Uint32Array = new Uint32Array(1);
  // Allocated on the first non-zero trace id: without allocation tracking they are all 0 and 4 bytes a
  // node for nothing is a lot on a 20 M node heap.
  #nodeTraceId: Uint32Array | undefined;
  #nodeDetachedness: Uint8Array | undefined;

  // Edges.
  /** The fast path's state for V8's edge layout (see readEdgeRecords); undefined for another layout. */
  #edgeRun: EdgeRun | undefined;
  /** Set by delegateEdges: called with the job once the header is read; "edges" is then skipped. */
  #onEdges: ((job: EdgesJob) => void) | undefined;
  #edgesDelegated = false;
  /** Offsets of the delegated edges: the first byte after `[`, and the `]` (-1 until seen). */
  #edgesStart = -1;
  #edgesEnd = -1;
  /** Whether the delegated edges were parsed and checked (resumeEdges). */
  #edgesDone = false;
  /** Fast paths already run once (W_* bits): see #fastEnd. */
  #warmed = 0;
  #edgeCapacity = 0;
  #edge = 0;
  #maxEdgeName = -1;
  #edgeType: Uint8Array = new Uint8Array(0);
  #edgeNameOrIndex: Uint32Array = new Uint32Array(0);
  #edgeTo: Uint32Array = new Uint32Array(0);

  // Locations.
  /** Whether the locations are in V8's layout (object_index, script_id, line, column): the fast path. */
  #locationsStandard = false;
  #location = 0;
  #locationCapacity = 0;
  #locationNode = new Uint32Array(0);
  #locationScriptId = new Uint32Array(0);
  #locationLine = new Uint32Array(0);
  #locationColumn = new Uint32Array(0);

  // Allocation traces.
  #traceFunctionInfos = new Uint32Array(0);
  #traceFunctionLength = 0;
  /** Role of each trace node field; empty when the meta does not describe a usable trace tree. */
  #traceRoles = new Uint8Array(0);
  #ttState = N_FIRST;
  #ttValue = 0;
  #ttNegative = false;
  /** Current depth: 1 is the top-level trace_tree array. Per depth below: parent, field, node. */
  #ttDepth = 0;
  #ttParent = new Int32Array(64);
  #ttField = new Int32Array(64);
  #ttNode = new Int32Array(64);
  #ttCount = 0;
  #ttCapacity = 0;
  #ttId = new Uint32Array(0);
  #ttFunction = new Uint32Array(0);
  #ttNodeCount = new Uint32Array(0);
  #ttSize = new Uint32Array(0);
  #ttParents = new Int32Array(0);

  // Strings.
  #strState = S_FIRST;
  #strBytes: Uint8Array = new Uint8Array(0);
  #strLength = 0;
  #strOffsets: Uint32Array = new Uint32Array(0);
  #strCount = 0;
  #hexCount = 0;
  #hexValue = 0;
  /** A high surrogate from `\uD8xx` waiting for its low half; 0 when none. */
  #highSurrogate = 0;

  constructor(options: HeapSnapshotParserOptions = {}) {
    const { file, totalBytes, onProgress, trustCounts = false } = options;
    if (typeof trustCounts !== 'boolean') {
      throw new LeakkitError('ERR_LEAKKIT_INVALID_OPTION', 'Expected `trustCounts` to be a boolean', {
        option: 'trustCounts',
      });
    }
    this.#trustCounts = trustCounts;
    if (file !== undefined && typeof file !== 'string') {
      throw new LeakkitError('ERR_LEAKKIT_INVALID_OPTION', `Expected \`file\` to be a string`, {
        option: 'file',
      });
    }
    if (totalBytes !== undefined && !(Number.isSafeInteger(totalBytes) && totalBytes >= 0)) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_OPTION',
        `Expected \`totalBytes\` to be a non-negative integer, got \`${String(totalBytes)}\``,
        { option: 'totalBytes' },
      );
    }
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new LeakkitError('ERR_LEAKKIT_INVALID_OPTION', 'Expected `onProgress` to be a function', {
        option: 'onProgress',
      });
    }
    this.#file = file;
    this.#totalBytes = totalBytes;
    this.#onProgress = onProgress;
  }

  /** Bytes consumed so far. */
  get bytesRead(): number {
    return this.#base;
  }

  /**
   * Feeds the next bytes of the snapshot. The parser copies what it keeps, so the caller may reuse
   * `chunk`'s memory as soon as this returns.
   * @throws LeakkitError `ERR_LEAKKIT_BAD_SNAPSHOT` when the bytes cannot be part of a snapshot.
   */
  write(chunk: Uint8Array): void {
    if (this.#error) throw this.#error;
    if (this.#ended) this.#fail('write() after end()', this.#base);
    if (!(chunk instanceof Uint8Array)) {
      throw new LeakkitError('ERR_LEAKKIT_INVALID_ARGUMENT', 'Expected a Uint8Array chunk');
    }
    const end = chunk.length;
    if (this.#totalBytes !== undefined && this.#base + end > this.#totalBytes) {
      this.#fail(`more bytes than the announced totalBytes (${this.#totalBytes})`, this.#totalBytes);
    }
    try {
      let pos = 0;
      while (pos < end) {
        switch (this.#state) {
          case T_NUMBERS:
            pos = this.#numbers(chunk, pos, end);
            break;
          case T_STRINGS:
            pos = this.#strings(chunk, pos, end);
            break;
          case T_SKIP:
            pos = this.#skip(chunk, pos, end);
            break;
          case T_HEADER:
            pos = this.#headerBytes(chunk, pos, end);
            break;
          case T_TRACE_TREE:
            pos = this.#traceTree(chunk, pos, end);
            break;
          case T_SKIP_EDGES:
            pos = this.#skipEdges(chunk, pos, end);
            break;
          default:
            pos = this.#structure(chunk, pos, end);
        }
      }
    } catch (error) {
      throw this.#wrap(error);
    }
    this.#base += end;
    if (this.#onProgress && this.#base >= this.#nextProgress) {
      this.#nextProgress = this.#base + PROGRESS_EVERY;
      this.#reported = this.#base;
      this.#onProgress({ bytesRead: this.#base, totalBytes: this.#totalBytes });
    }
  }

  /**
   * Checks that the input was a complete snapshot and returns the graph data. Arrays are exactly as
   * long as the counts; nothing of the parser's working state is kept.
   * @throws LeakkitError `ERR_LEAKKIT_BAD_SNAPSHOT` when the input was truncated or inconsistent.
   */
  end(): HeapGraphData {
    if (this.#error) throw this.#error;
    if (this.#ended) this.#fail('end() called twice', this.#base);
    try {
      const data = this.#finish();
      this.#ended = true;
      // The last write may already have reported the final count: report every position once.
      if (this.#reported !== this.#base)
        this.#onProgress?.({ bytesRead: this.#base, totalBytes: this.#totalBytes });
      return data;
    } catch (error) {
      throw this.#wrap(error);
    }
  }

  // ---------------------------------------------------------------- delegated edges

  static {
    parserInternals = {
      delegate: (parser, onEdges) => {
        parser.#onEdges = onEdges;
      },
      edgesRange: (parser) => ({ start: parser.#edgesStart, end: parser.#edgesEnd }),
      resume: (parser, result) => parser.#resumeEdges(result),
      complete: (parser, maxEdgeName) => {
        if (parser.#edgesStart < 0 || parser.#edgesEnd < 0 || parser.#edgesDone) {
          throw new LeakkitError('ERR_LEAKKIT_INVALID_ARGUMENT', 'no delegated edges to complete');
        }
        parser.#edge = parser.#info!.edgeCount;
        parser.#maxEdgeName = Math.max(parser.#maxEdgeName, maxEdgeName);
        parser.#edgesDone = true;
      },
    };
  }

  /**
   * Checks and completes the delegated edges from where the worker stopped: a parser of its own,
   * positioned inside "edges" at `result.stoppedAt` with the worker's counts, takes the bytes up to
   * the array's `]` with every check of a sequential parse.
   */
  #resumeEdges(result: EdgesResult): EdgesResume {
    const start = this.#edgesStart;
    const close = this.#edgesEnd;
    const run = this.#edgeRun;
    if (start < 0 || close < 0 || this.#edgesDone || run === undefined) {
      throw new LeakkitError('ERR_LEAKKIT_INVALID_ARGUMENT', 'no delegated edges to resume');
    }
    const info = this.#info!;
    // A worker that failed, found another array, or reports something impossible did nothing:
    // start over.
    const sane =
      result.start === start &&
      Number.isSafeInteger(result.stoppedAt) &&
      result.stoppedAt >= start &&
      result.stoppedAt <= close &&
      Number.isSafeInteger(result.edge) &&
      result.edge >= 0 &&
      result.edge <= info.edgeCount &&
      (result.edge === 0) === (result.stoppedAt === start) &&
      Number.isSafeInteger(result.maxEdgeName) &&
      result.maxEdgeName >= -1;
    const from = sane ? result.stoppedAt : start;
    const p = new HeapSnapshotParser(this.#file === undefined ? {} : { file: this.#file });
    p.#info = info;
    p.#nf = this.#nf;
    p.#ef = this.#ef;
    p.#edgeIndex = this.#edgeIndex;
    p.#rec = new Uint32Array(this.#rec.length);
    p.#edgeTypeCount = this.#edgeTypeCount;
    p.#edgeIsIndex = this.#edgeIsIndex;
    p.#edgeCapacity = this.#edgeCapacity;
    p.#edgeType = this.#edgeType;
    p.#edgeNameOrIndex = this.#edgeNameOrIndex;
    p.#edgeTo = this.#edgeTo;
    p.#edgeRun = { ...run };
    p.#seen.add('snapshot');
    p.#key = 'edges';
    p.#kind = K_EDGES;
    p.#state = T_NUMBERS;
    p.#valueStarted = true;
    p.#numState = from === start ? N_FIRST : N_VALUE;
    p.#field = 0;
    p.#edge = sane ? result.edge : 0;
    p.#maxEdgeName = sane ? result.maxEdgeName : -1;
    p.#base = from;
    const to = close + 1;
    return {
      from,
      to,
      write: (chunk) => p.write(chunk),
      end: () => {
        if (p.#state !== T_AFTER_VALUE || p.#base !== to) {
          throw new LeakkitError('ERR_LEAKKIT_INVALID_ARGUMENT', 'the delegated edges were not given whole');
        }
        this.#edge = p.#edge;
        this.#maxEdgeName = p.#maxEdgeName;
        this.#edgesDone = true;
      },
    };
  }

  // ---------------------------------------------------------------- errors

  #wrap(error: unknown): LeakkitError {
    if (error instanceof LeakkitError) {
      this.#error = error;
      return error;
    }
    // A RangeError from an allocation or anything unforeseen: still a typed error with an offset.
    const message = error instanceof Error ? error.message : String(error);
    this.#error = this.#makeError(`cannot parse (${message})`, this.#base, error);
    return this.#error;
  }

  #makeError(what: string, offset: number, cause?: unknown): LeakkitError {
    const where = this.#file === undefined ? '' : ` of ${this.#file}`;
    const details: LeakkitErrorDetails = { offset };
    if (this.#file !== undefined) details.file = this.#file;
    if (cause !== undefined) details.cause = cause;
    return new LeakkitError(
      'ERR_LEAKKIT_BAD_SNAPSHOT',
      `Bad heap snapshot: ${what} at byte ${offset}${where}`,
      details,
    );
  }

  #fail(what: string, offset: number): never {
    this.#error = this.#makeError(what, offset);
    throw this.#error;
  }

  #where(): string {
    return this.#key === '' ? '' : ` in "${this.#key}"`;
  }

  // ---------------------------------------------------------------- top-level structure

  #structure(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    while (p < end) {
      const c = buf[p]!;
      const state = this.#state;
      if (state === T_KEY) {
        if (this.#keyEscape) {
          this.#keyEscape = false;
        } else if (c === 0x22) {
          p++;
          this.#key = utf8.decode(this.#keyBytes.subarray(0, this.#keyLength));
          this.#state = T_COLON;
          continue;
        } else if (c === 0x5c) {
          this.#keyEscape = true;
        }
        if (this.#keyLength === MAX_KEY_BYTES)
          this.#fail(`a top-level key longer than ${MAX_KEY_BYTES} bytes`, this.#base + p);
        this.#keyBytes[this.#keyLength++] = c;
        p++;
        continue;
      }
      if (isSpace(c)) {
        p++;
        continue;
      }
      const at = this.#base + p;
      switch (state) {
        case T_BEGIN:
          if (c !== 0x7b)
            this.#fail(`expected \`{\` (a heap snapshot is a JSON object), got ${showByte(c)}`, at);
          this.#state = T_FIRST_KEY;
          break;
        case T_FIRST_KEY:
        case T_NEXT_KEY:
          if (c !== 0x22) {
            this.#fail(
              state === T_FIRST_KEY && c === 0x7d
                ? 'an empty object, not a heap snapshot'
                : `expected a key, got ${showByte(c)}`,
              at,
            );
          }
          this.#keyLength = 0;
          this.#keyEscape = false;
          this.#keyStart = at;
          this.#state = T_KEY;
          p++;
          continue;
        case T_COLON:
          if (c !== 0x3a) this.#fail(`expected \`:\` after "${this.#key}", got ${showByte(c)}`, at);
          this.#state = T_VALUE;
          break;
        case T_VALUE:
          this.#startValue(c, at);
          // The value's own state machine consumes this byte.
          return p;
        case T_AFTER_VALUE:
          if (c === 0x2c) {
            this.#state = T_NEXT_KEY;
          } else if (c === 0x7d) {
            this.#state = T_DONE;
          } else {
            this.#fail(`expected \`,\` or \`}\` after "${this.#key}", got ${showByte(c)}`, at);
          }
          break;
        case T_DONE:
          this.#fail(`trailing data after the snapshot: ${showByte(c)}`, at);
      }
      p++;
    }
    return p;
  }

  #startValue(c: number, at: number): void {
    const key = this.#key;
    if (!this.#info && key !== 'snapshot') {
      this.#fail(
        `expected "snapshot" as the first key (not a heap snapshot?), got "${key.slice(0, 40)}"`,
        this.#keyStart,
      );
    }
    if (this.#seen.has(key)) this.#fail(`duplicate key "${key.slice(0, 40)}"`, this.#keyStart);
    this.#seen.add(key);
    if (key === 'snapshot') {
      if (c !== 0x7b) this.#fail(`expected \`{\` to start "snapshot", got ${showByte(c)}`, at);
      this.#headerLength = 0;
      this.#headerDepth = 0;
      this.#headerInString = false;
      this.#headerEscape = false;
      this.#state = T_HEADER;
      return;
    }
    let kind = -1;
    if (key === 'nodes') kind = K_NODES;
    else if (key === 'edges') kind = K_EDGES;
    else if (key === 'locations') kind = K_LOCATIONS;
    else if (key === 'trace_function_infos')
      kind = this.#info!.traceFunctionInfoFields ? K_TRACE_FUNCTIONS : K_IGNORED;
    else if (KNOWN_NUMBER_ARRAYS.has(key)) kind = K_IGNORED;
    if (key === 'trace_tree' && this.#traceRoles.length > 0) {
      if (c !== 0x5b) this.#fail(`expected \`[\` to start "trace_tree", got ${showByte(c)}`, at);
      this.#valueStarted = false;
      this.#state = T_TRACE_TREE;
      return;
    }
    if (kind >= 0 || key === 'strings') {
      if (c !== 0x5b) this.#fail(`expected \`[\` to start "${key}", got ${showByte(c)}`, at);
      if (key === 'strings') {
        this.#startStrings(at);
        this.#state = T_STRINGS;
      } else if (kind === K_EDGES && this.#edgesDelegated) {
        this.#edgesStart = at + 1;
        this.#state = T_SKIP_EDGES;
      } else {
        this.#kind = kind;
        this.#numState = N_FIRST;
        this.#field = 0;
        this.#state = T_NUMBERS;
        if (kind === K_LOCATIONS && this.#lf === 0) this.#kind = K_IGNORED;
        else if (kind === K_LOCATIONS && this.#totalBytes !== undefined && this.#locationCapacity === 0) {
          // Sized once to a bound (a node has at most one location in V8's snapshots, a record takes
          // at least two bytes a number) instead of grown by copies: pages never written are never
          // committed, and the arrays end as views of their used part.
          const bound = Math.floor((this.#totalBytes - at) / (2 * this.#lf));
          this.#growLocations(Math.max(1, Math.min(this.#info!.nodeCount, bound)));
        }
      }
      // The array's own state machine consumes `[`.
      this.#valueStarted = false;
      return;
    }
    this.#skipDepth = 0;
    this.#skipInString = false;
    this.#skipEscape = false;
    this.#skipScalar = false;
    this.#valueStarted = false;
    this.#state = T_SKIP;
  }

  // ---------------------------------------------------------------- header

  #headerBytes(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    let depth = this.#headerDepth;
    let inString = this.#headerInString;
    let escaped = this.#headerEscape;
    let done = false;
    for (; p < end; p++) {
      const c = buf[p]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          p++;
          done = true;
          break;
        }
      }
    }
    const length = p - pos;
    if (this.#headerLength + length > MAX_HEADER_BYTES) {
      // At the first byte past the limit, wherever the chunks end.
      this.#fail(
        `a "snapshot" header larger than ${MAX_HEADER_BYTES} bytes`,
        this.#base + pos + (MAX_HEADER_BYTES - this.#headerLength),
      );
    }
    if (this.#headerLength + length > this.#header.length) {
      this.#header = growU8(this.#header, Math.min(MAX_HEADER_BYTES, (this.#headerLength + length) * 2));
    }
    this.#header.set(buf.subarray(pos, p), this.#headerLength);
    this.#headerLength += length;
    this.#headerDepth = depth;
    this.#headerInString = inString;
    this.#headerEscape = escaped;
    if (done) {
      this.#readHeader(this.#base + p);
      this.#state = T_AFTER_VALUE;
    }
    return p;
  }

  #readHeader(at: number): void {
    let header: unknown;
    try {
      header = JSON.parse(utf8.decode(this.#header.subarray(0, this.#headerLength)));
    } catch {
      this.#fail('the "snapshot" header is not valid JSON', at);
    }
    this.#header = new Uint8Array(0);
    const bad = (what: string): never => this.#fail(`"snapshot" header: ${what}`, at);
    const isObject = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    const stringList = (v: unknown, name: string): string[] => {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
        bad(`expected ${name} to be a list of strings`);
      return v as string[];
    };
    const count = (v: unknown, name: string): number => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        bad(`expected ${name} to be a non-negative integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
      }
      return v as number;
    };
    if (!isObject(header)) this.#fail('"snapshot" header: expected an object', at);
    const meta = header.meta;
    if (!isObject(meta)) this.#fail('"snapshot" header: meta is missing', at);
    const nodeFields = stringList(meta.node_fields, 'meta.node_fields');
    const edgeFields = stringList(meta.edge_fields, 'meta.edge_fields');
    const types = (v: unknown, name: string): string[] => {
      if (!Array.isArray(v)) bad(`expected ${name} to be a list`);
      const names = stringList((v as unknown[])[0], `${name}[0]`);
      if (names.length === 0 || names.length > 256)
        bad(`expected 1 to 256 names in ${name}[0], got ${names.length}`);
      return names;
    };
    const nodeTypeNames = types(meta.node_types, 'meta.node_types');
    const edgeTypeNames = types(meta.edge_types, 'meta.edge_types');
    for (const f of REQUIRED_NODE_FIELDS) {
      if (!nodeFields.includes(f)) bad(`meta.node_fields lacks "${f}" (fields: ${nodeFields.join(',')})`);
    }
    for (const f of REQUIRED_EDGE_FIELDS) {
      if (!edgeFields.includes(f)) bad(`meta.edge_fields lacks "${f}" (fields: ${edgeFields.join(',')})`);
    }
    let locationFields: string[] | undefined;
    if (meta.location_fields !== undefined) {
      locationFields = stringList(meta.location_fields, 'meta.location_fields');
      for (const f of REQUIRED_LOCATION_FIELDS) {
        if (!locationFields.includes(f)) {
          bad(`meta.location_fields lacks "${f}" (fields: ${locationFields.join(',')})`);
        }
      }
    }
    // Allocation traces are optional extras: without usable meta they are skipped, not an error.
    const optionalList = (v: unknown) =>
      Array.isArray(v) && v.length > 0 && v.length <= 64 && v.every((s) => typeof s === 'string')
        ? (v as string[])
        : undefined;
    const traceFunctionInfoFields = optionalList(meta.trace_function_info_fields);
    const traceNodeFields = optionalList(meta.trace_node_fields);
    if (
      traceNodeFields &&
      ['id', 'function_info_index', 'count', 'size', 'children'].every((f) => traceNodeFields.includes(f))
    ) {
      this.#traceRoles = new Uint8Array(traceNodeFields.map((f) => TRACE_NODE_ROLES[f] ?? TT_IGNORE));
    }
    if (nodeFields.length > 64 || edgeFields.length > 64 || (locationFields?.length ?? 0) > 64) {
      bad('more than 64 fields per record');
    }
    const nodeCount = count(header.node_count, 'node_count');
    const edgeCount = count(header.edge_count, 'edge_count');
    if (nodeCount < 1) bad('node_count is 0 (a snapshot always has a root node)');
    // Uint32 node and edge indices (firstEdge holds nodeCount + 1 of them).
    if (nodeCount >= MAX_U32) bad(`node_count ${nodeCount} is beyond what this parser supports`);
    if (edgeCount > MAX_U32) bad(`edge_count ${edgeCount} is beyond what this parser supports`);
    // Edge targets are node field offsets (index × fields); they must fit a Uint32 too.
    if (nodeCount * nodeFields.length > MAX_U32)
      bad(`node_count ${nodeCount} is beyond what this parser supports`);
    if (this.#totalBytes !== undefined) {
      // Every number takes at least two bytes (a digit and a separator).
      const needed = 2 * (nodeCount * nodeFields.length + edgeCount * edgeFields.length);
      if (needed > this.#totalBytes) {
        bad(
          `node_count ${nodeCount} and edge_count ${edgeCount} need at least ${needed} bytes, the input has ${this.#totalBytes}`,
        );
      }
    }
    let rootIndex = 0;
    if (header.root_index !== undefined) {
      rootIndex = count(header.root_index, 'root_index');
      if (rootIndex >= nodeCount) bad(`root_index ${rootIndex} is not below node_count ${nodeCount}`);
    }
    const info: HeaderInfo = {
      nodeFields,
      edgeFields,
      locationFields,
      traceFunctionInfoFields,
      nodeTypeNames,
      edgeTypeNames,
      nodeCount,
      edgeCount,
      rootIndex,
    };
    this.#info = info;
    this.#nf = nodeFields.length;
    this.#ef = edgeFields.length;
    this.#lf = locationFields?.length ?? 0;
    const roles = (fields: string[], table: Record<string, number>) => {
      const out = new Uint8Array(fields.length);
      const taken = new Set<number>();
      fields.forEach((f, i) => {
        const role = Object.hasOwn(table, f) ? table[f]! : F_IGNORE;
        // A repeated field name: the first one wins, like indexOf in the reference loader.
        if (role !== F_IGNORE && !taken.has(role)) {
          out[i] = role;
          taken.add(role);
        }
      });
      return out;
    };
    const n = (name: string) => nodeFields.indexOf(name);
    const e = (name: string) => edgeFields.indexOf(name);
    this.#nodeIndex = [
      n('type'),
      n('name'),
      n('id'),
      n('self_size'),
      n('edge_count'),
      n('trace_node_id'),
      n('detachedness'),
    ];
    this.#edgeIndex = [e('type'), e('name_or_index'), e('to_node')];
    this.#rec = new Uint32Array(Math.max(nodeFields.length, edgeFields.length));
    this.#locationRoles = roles(locationFields ?? [], LOCATION_FIELD_ROLES);
    this.#locationsStandard =
      this.#locationRoles.length === 4 &&
      this.#locationRoles[0] === F_OBJECT &&
      this.#locationRoles[1] === F_SCRIPT &&
      this.#locationRoles[2] === F_LINE &&
      this.#locationRoles[3] === F_COLUMN;
    this.#nodeTypeCount = nodeTypeNames.length;
    this.#edgeTypeCount = edgeTypeNames.length;
    // Edge types whose name_or_index is an index, not a string.
    this.#edgeIsIndex = new Uint8Array(256);
    edgeTypeNames.forEach((t, i) => {
      if (t === 'element' || t === 'hidden') this.#edgeIsIndex[i] = 1;
    });

    const known = this.#totalBytes !== undefined || this.#trustCounts;
    this.#allocateNodes(known ? nodeCount : Math.min(nodeCount, INITIAL_CAPACITY));
    this.#allocateEdges(known ? edgeCount : Math.min(edgeCount, INITIAL_CAPACITY));
    const run = this.#edgeRun;
    if (
      this.#onEdges !== undefined &&
      run !== undefined &&
      this.#edgeTo.buffer instanceof SharedArrayBuffer
    ) {
      // From here on the worker looks for "edges" itself, while this thread parses the nodes.
      this.#edgesDelegated = true;
      this.#onEdges({
        // V8 writes "nodes" next, and its numbers take at least two bytes each (a digit and a
        // separator): "edges" cannot start before this. A guess for other layouts, checked later.
        searchFrom: at + 2 * nodeCount * this.#nf,
        edgeCount,
        nf: run.nf,
        toLimit: run.toLimit,
        edgeTypeCount: run.edgeTypeCount,
        edgeIsIndex: run.edgeIsIndex.slice(),
        edgeType: run.edgeType,
        edgeNameOrIndex: run.edgeNameOrIndex,
        edgeTo: run.edgeTo,
      });
    }
  }

  #allocateNodes(capacity: number): void {
    this.#nodeCapacity = capacity;
    if (this.#onEdges !== undefined && capacity === this.#info!.nodeCount && this.#nodeType.length === 0) {
      // What a worker's retainer search reads (see backgroundSearch in paths.ts) is shared too.
      this.#nodeType = new Uint8Array(new SharedArrayBuffer(capacity));
      this.#firstEdge = new Uint32Array(new SharedArrayBuffer(4 * (capacity + 1)));
    } else {
      this.#nodeType = growU8(this.#nodeType, capacity);
      this.#firstEdge = growU32(this.#firstEdge, capacity + 1);
    }
    this.#nodeName = growU32(this.#nodeName, capacity);
    this.#nodeId = growU32(this.#nodeId, capacity);
    this.#nodeSelfSize = growU32(this.#nodeSelfSize, capacity);
    if (this.#nodeTraceId) this.#nodeTraceId = growU32(this.#nodeTraceId, capacity);
    if (this.#nodeDetachedness) this.#nodeDetachedness = growU8(this.#nodeDetachedness, capacity);
  }

  #allocateEdges(capacity: number): void {
    this.#edgeCapacity = capacity;
    const info = this.#info!;
    if (this.#onEdges !== undefined && capacity === info.edgeCount && this.#edgeTo.length === 0) {
      // Shared memory: a worker fills these while this thread parses the rest (see delegateEdges).
      this.#edgeType = new Uint8Array(new SharedArrayBuffer(capacity));
      this.#edgeNameOrIndex = new Uint32Array(new SharedArrayBuffer(capacity * 4));
      this.#edgeTo = new Uint32Array(new SharedArrayBuffer(capacity * 4));
    } else {
      this.#edgeType = growU8(this.#edgeType, capacity);
      this.#edgeNameOrIndex = growU32(this.#edgeNameOrIndex, capacity);
      this.#edgeTo = growU32(this.#edgeTo, capacity);
    }
    const [iType, iName, iTo] = this.#edgeIndex;
    // V8's edge layout gets the fast path that an edge worker runs too; any other layout the
    // generic one in #edgeRecords.
    this.#edgeRun =
      this.#ef === 3 && iType === 0 && iName === 1 && iTo === 2
        ? {
            edge: 0,
            maxEdgeName: -1,
            edgeCapacity: capacity,
            edgeType: this.#edgeType,
            edgeNameOrIndex: this.#edgeNameOrIndex,
            edgeTo: this.#edgeTo,
            nf: this.#nf,
            toLimit: info.nodeCount * this.#nf,
            edgeTypeCount: this.#edgeTypeCount,
            edgeIsIndex: this.#edgeIsIndex,
          }
        : undefined;
  }

  // ---------------------------------------------------------------- skipping

  #skip(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    if (!this.#valueStarted) {
      // Positioned on the value's first byte (whitespace was skipped by #structure).
      const c = buf[p]!;
      this.#valueStarted = true;
      if (c === 0x22) {
        this.#skipInString = true;
        p++;
      } else if (c === 0x7b || c === 0x5b) {
        this.#skipDepth = 1;
        p++;
      } else {
        this.#skipScalar = true;
      }
    }
    let depth = this.#skipDepth;
    let inString = this.#skipInString;
    let escaped = this.#skipEscape;
    if (this.#skipScalar) {
      for (; p < end; p++) {
        const c = buf[p]!;
        if (c === 0x2c || c === 0x7d || isSpace(c)) {
          this.#state = T_AFTER_VALUE;
          return p;
        }
        // Numbers, true, false, null.
        if (
          !(
            (c >= 0x30 && c <= 0x39) ||
            (c >= 0x61 && c <= 0x7a) ||
            c === 0x2d ||
            c === 0x2b ||
            c === 0x2e ||
            c === 0x45
          )
        ) {
          this.#fail(`unexpected ${showByte(c)} in the value of "${this.#key.slice(0, 40)}"`, this.#base + p);
        }
      }
      return p;
    }
    for (; p < end; p++) {
      const c = buf[p]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) {
          inString = false;
          if (depth === 0) {
            p++;
            this.#state = T_AFTER_VALUE;
            break;
          }
        }
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          p++;
          this.#state = T_AFTER_VALUE;
          break;
        }
      }
    }
    this.#skipDepth = depth;
    this.#skipInString = inString;
    this.#skipEscape = escaped;
    return p;
  }

  /**
   * The end to give a fast path: the chunk's, except on its first run, which stops after a few
   * records. V8 optimises a hot loop while it runs, from what the code has done so far: a loop that
   * had never once returned would be optimised without its exit and thrown back to the interpreter
   * (and optimised again) at the end of every chunk.
   */
  #fastEnd(bit: number, p: number, end: number): number {
    if ((this.#warmed & bit) !== 0) return end;
    this.#warmed |= bit;
    return Math.min(end, p + WARM_UP_BYTES);
  }

  /** Delegated "edges": only the closing `]` matters here (numbers hold none). */
  #skipEdges(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    if (!this.#valueStarted) {
      // Positioned on `[`.
      this.#valueStarted = true;
      p++;
    }
    // A Buffer's indexOf is a memchr: this runs at memory speed.
    const close = buf.indexOf(0x5d, p);
    if (close < 0) return end;
    this.#edgesEnd = this.#base + close;
    this.#state = T_AFTER_VALUE;
    return close + 1;
  }

  // ---------------------------------------------------------------- number arrays

  /**
   * Number arrays. Each kind has its own copy of the tokenizer loop so that the per-number work is a
   * digit loop and one typed-array store into `rec` (the current record); a whole record is then
   * stored with field positions read from the meta once. No strings, no objects, no calls and no
   * switch per number; every counter lives in a local and is written back when the chunk or the array
   * ends. Duplicated on purpose: a shared loop with a switch per number was measurably slower.
   */
  #numbers(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    if (!this.#valueStarted) {
      // Positioned on `[`.
      this.#valueStarted = true;
      p++;
    }
    switch (this.#kind) {
      case K_NODES:
        return this.#nodeNumbers(buf, p, end);
      case K_EDGES:
        return this.#edgeNumbers(buf, p, end);
      default:
        return this.#otherNumbers(buf, p, end);
    }
  }

  /**
   * The slow path of every number loop: a byte that is not a digit of a number in progress. Returns
   * the new state, or -1 for `]` (the array ended); throws on anything else.
   */
  #separator(c: number, st: number, at: number): number {
    if (c === 0x2c) {
      if (st !== N_AFTER) this.#fail(`unexpected \`,\`${this.#where()}`, at);
      return N_VALUE;
    }
    if (c >= 48 && c <= 57) this.#fail(`expected \`,\` between numbers${this.#where()}`, at);
    if (c === 0x5d) {
      if (st === N_VALUE || st === N_MINUS) this.#fail(`expected a number after \`,\`${this.#where()}`, at);
      return -1;
    }
    if (
      c === 0x2d &&
      (st === N_FIRST || st === N_VALUE) &&
      (this.#kind === K_LOCATIONS || this.#kind === K_IGNORED || this.#kind === K_TRACE_FUNCTIONS)
    ) {
      // Node 24 writes -1 for an unknown script, line or column; nodes and edges never hold one.
      return N_MINUS;
    }
    if (!isSpace(c) || st === N_MINUS) {
      this.#fail(`expected a non-negative integer, got ${showByte(c)}${this.#where()}`, at);
    }
    return st;
  }

  #nodeNumbers(buf: Uint8Array, pos: number, end: number): number {
    const base = this.#base;
    const nf = this.#nf;
    const rec = this.#rec;
    const [iType, iName, iId, iSelf, iEdges, iTrace, iDetached] = this.#nodeIndex;
    const nodeTypeCount = this.#nodeTypeCount;
    const nodeCount = this.#info!.nodeCount;
    const edgeCount = this.#info!.edgeCount;
    let p = pos;
    let st = this.#numState;
    let v = this.#numValue;
    let f = this.#field;
    let node = this.#node;
    let nodeCapacity = this.#nodeCapacity;
    let edgeSum = this.#edgeSum;
    let maxNodeName = this.#maxNodeName;
    let nodeType = this.#nodeType;
    let nodeName = this.#nodeName;
    let nodeId = this.#nodeId;
    let nodeSelfSize = this.#nodeSelfSize;
    let firstEdge = this.#firstEdge;
    const fastEnd = end - FAST_MARGIN;
    while (p < end) {
      let c = buf[p]!;
      if (st === N_NUMBER) {
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          if (++p === end) break;
          c = buf[p]!;
        }
        if (p === end) break;
        if (v > MAX_U32) this.#fail(`number ${v} is too large in "nodes"`, base + p);
        rec[f] = v;
        if (++f === nf) {
          f = 0;
          if (node === nodeCapacity) {
            if (node >= nodeCount)
              this.#fail(`"nodes" holds more than node_count (${nodeCount}) nodes`, base + p);
            this.#allocateNodes(grownCapacity(nodeCapacity, node + 1, nodeCount));
            nodeCapacity = this.#nodeCapacity;
            nodeType = this.#nodeType;
            nodeName = this.#nodeName;
            nodeId = this.#nodeId;
            nodeSelfSize = this.#nodeSelfSize;
            firstEdge = this.#firstEdge;
          }
          const type = rec[iType]!;
          if (type >= nodeTypeCount) {
            this.#fail(`node ${node} has type ${type}, meta.node_types has ${nodeTypeCount}`, base + p);
          }
          nodeType[node] = type;
          const name = rec[iName]!;
          nodeName[node] = name;
          if (name > maxNodeName) maxNodeName = name;
          nodeId[node] = rec[iId]!;
          nodeSelfSize[node] = rec[iSelf]!;
          edgeSum += rec[iEdges]!;
          if (edgeSum > edgeCount) {
            this.#fail(
              `the edge counts of the nodes add up to more than edge_count (${edgeCount})`,
              base + p,
            );
          }
          firstEdge[node + 1] = edgeSum;
          if (iTrace >= 0 && rec[iTrace] !== 0) {
            // Allocated on the first non-zero trace id, at the current capacity.
            this.#nodeTraceId ??= new Uint32Array(nodeCapacity);
            this.#nodeTraceId[node] = rec[iTrace]!;
          }
          if (iDetached >= 0 && rec[iDetached] !== 0) {
            // Like trace ids: 0 (unknown) everywhere outside a browser, so allocated on the first other value.
            const detached = rec[iDetached]!;
            if (detached > 255) this.#fail(`node ${node} has detachedness ${detached}`, base + p);
            this.#nodeDetachedness ??= new Uint8Array(nodeCapacity);
            this.#nodeDetachedness[node] = detached;
          }
          node++;
        }
        st = N_AFTER;
      }
      if (c === 0x2c && st === N_AFTER) {
        st = N_VALUE;
        if (f === 0 && p < fastEnd) {
          this.#node = node;
          this.#edgeSum = edgeSum;
          this.#maxNodeName = maxNodeName;
          // Resume after the last whole record (its `,` consumed): the `p++` below lands on it.
          p = this.#nodeRecords(buf, p + 1, this.#fastEnd(W_NODES, p, end)) - 1;
          node = this.#node;
          edgeSum = this.#edgeSum;
          maxNodeName = this.#maxNodeName;
        }
      } else if (c >= 48 && c <= 57 && st !== N_AFTER) {
        st = N_NUMBER;
        v = c - 48;
      } else {
        st = this.#separator(c, st, base + p);
        if (st < 0) {
          this.#field = f;
          this.#node = node;
          this.#edgeSum = edgeSum;
          this.#maxNodeName = maxNodeName;
          this.#endNumbers(base + p);
          return p + 1;
        }
      }
      p++;
    }
    this.#numState = st;
    this.#numValue = v;
    this.#field = f;
    this.#node = node;
    this.#edgeSum = edgeSum;
    this.#maxNodeName = maxNodeName;
    return p;
  }

  /**
   * The fast path of #nodeNumbers: whole records from `q` (the first byte of one) while they surely
   * fit in the chunk (see FAST_MARGIN); returns the first byte of the first record it did not take.
   * Any doubt (whitespace, a long number, a value to reject, a full array) stops it there and the
   * careful loop takes that record, errors and all. A method of its own so that V8 optimises this
   * small loop early and with complete type feedback, whatever the careful loop has seen.
   */
  #nodeRecords(buf: Uint8Array, start: number, end: number): number {
    const nf = this.#nf;
    const rec = this.#rec;
    const [iType, iName, iId, iSelf, iEdges, iTrace, iDetached] = this.#nodeIndex;
    const nodeTypeCount = this.#nodeTypeCount;
    const edgeCount = this.#info!.edgeCount;
    const nodeCapacity = this.#nodeCapacity;
    const nodeType = this.#nodeType;
    const nodeName = this.#nodeName;
    const nodeId = this.#nodeId;
    const nodeSelfSize = this.#nodeSelfSize;
    const firstEdge = this.#firstEdge;
    const fastEnd = end - FAST_MARGIN;
    const digitEnd = end - 2;
    let node = this.#node;
    let edgeSum = this.#edgeSum;
    let maxNodeName = this.#maxNodeName;
    // The first five fields in V8's order, with the optional ones after them (anything else still
    // takes the generic fast path below).
    const standard =
      iType === 0 &&
      iName === 1 &&
      iId === 2 &&
      iSelf === 3 &&
      iEdges === 4 &&
      (iTrace < 0 || iTrace >= 5) &&
      (iDetached < 0 || iDetached >= 5);
    let q = start;
    while (standard && q < fastEnd && node < nodeCapacity) {
      // type, name, id, self_size, edge_count in locals; the rest (trace_node_id,
      // detachedness: 0 outside allocation tracking and browsers) through rec.
      let r = q;
      let type = buf[r]! - 48;
      if (type < 0 || type > 9) break;
      let d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        type = type * 10 + d;
        d = buf[++r]! - 48;
      }
      if (d !== COMMA_DIGIT || type >= nodeTypeCount) break;
      let name = buf[++r]! - 48;
      if (name < 0 || name > 9) break;
      d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        name = name * 10 + d;
        d = buf[++r]! - 48;
      }
      if (d !== COMMA_DIGIT || name > MAX_U32) break;
      let id = buf[++r]! - 48;
      if (id < 0 || id > 9) break;
      d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        id = id * 10 + d;
        d = buf[++r]! - 48;
      }
      if (d !== COMMA_DIGIT || id > MAX_U32) break;
      let self = buf[++r]! - 48;
      if (self < 0 || self > 9) break;
      d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        self = self * 10 + d;
        d = buf[++r]! - 48;
      }
      if (d !== COMMA_DIGIT || self > MAX_U32) break;
      let count = buf[++r]! - 48;
      if (count < 0 || count > 9) break;
      d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        count = count * 10 + d;
        d = buf[++r]! - 48;
      }
      const edges = edgeSum + count;
      if (edges > edgeCount || r > digitEnd) break;
      // The fields after edge_count (trace_node_id, detachedness) are 0 outside allocation tracking
      // and browsers: `,0,0\n,` is matched as a whole, and there is nothing to store.
      let k = 5;
      let t = r;
      while (k < nf && buf[t] === 0x2c && buf[t + 1] === 0x30) {
        t += 2;
        k++;
      }
      if (k === nf && buf[t] === 0x0a && buf[t + 1] === 0x2c) r = t + 2;
      else {
        for (k = 5; k < nf; k++) {
          if (d !== COMMA_DIGIT) break;
          let x = buf[++r]! - 48;
          if (x < 0 || x > 9) break;
          d = buf[++r]! - 48;
          while (d >= 0 && d <= 9) {
            x = x * 10 + d;
            d = buf[++r]! - 48;
          }
          if (x > MAX_U32 || r > digitEnd) break;
          rec[k] = x;
        }
        if (k < nf) break;
        if (d === COMMA_DIGIT) r++;
        else if (d === NEWLINE_DIGIT && buf[r + 1] === 0x2c) r += 2;
        else break;
        if (iTrace >= 0 && rec[iTrace] !== 0) {
          this.#nodeTraceId ??= new Uint32Array(nodeCapacity);
          this.#nodeTraceId[node] = rec[iTrace]!;
        }
        if (iDetached >= 0 && rec[iDetached] !== 0) {
          const detached = rec[iDetached]!;
          if (detached > 255) break;
          this.#nodeDetachedness ??= new Uint8Array(nodeCapacity);
          this.#nodeDetachedness[node] = detached;
        }
      }
      nodeType[node] = type;
      nodeName[node] = name;
      if (name > maxNodeName) maxNodeName = name;
      nodeId[node] = id;
      nodeSelfSize[node] = self;
      edgeSum = edges;
      firstEdge[++node] = edges;
      q = r;
    }
    while (!standard && q < fastEnd && node < nodeCapacity) {
      let r = q;
      let k = 0;
      for (; k < nf; k++) {
        let x = buf[r]! - 48;
        if (x < 0 || x > 9) break;
        let d = buf[++r]! - 48;
        while (d >= 0 && d <= 9) {
          x = x * 10 + d;
          d = buf[++r]! - 48;
        }
        if (x > MAX_U32 || r > digitEnd) break;
        rec[k] = x;
        // `,` between numbers, `\n,` between records as V8 writes them.
        if (d === COMMA_DIGIT) r++;
        else if (d === NEWLINE_DIGIT && buf[r + 1] === 0x2c) r += 2;
        else break;
      }
      if (k < nf) break;
      const type = rec[iType]!;
      const edges = edgeSum + rec[iEdges]!;
      if (type >= nodeTypeCount || edges > edgeCount) break;
      if (iTrace >= 0 && rec[iTrace] !== 0) {
        this.#nodeTraceId ??= new Uint32Array(nodeCapacity);
        this.#nodeTraceId[node] = rec[iTrace]!;
      }
      if (iDetached >= 0 && rec[iDetached] !== 0) {
        const detached = rec[iDetached]!;
        if (detached > 255) break;
        this.#nodeDetachedness ??= new Uint8Array(nodeCapacity);
        this.#nodeDetachedness[node] = detached;
      }
      nodeType[node] = type;
      const name = rec[iName]!;
      nodeName[node] = name;
      if (name > maxNodeName) maxNodeName = name;
      nodeId[node] = rec[iId]!;
      nodeSelfSize[node] = rec[iSelf]!;
      edgeSum = edges;
      firstEdge[++node] = edges;
      q = r;
    }
    this.#node = node;
    this.#edgeSum = edgeSum;
    this.#maxNodeName = maxNodeName;
    return q;
  }

  #edgeNumbers(buf: Uint8Array, pos: number, end: number): number {
    const base = this.#base;
    const ef = this.#ef;
    const nf = this.#nf;
    const rec = this.#rec;
    const [iType, iName, iTo] = this.#edgeIndex;
    const edgeTypeCount = this.#edgeTypeCount;
    const edgeIsIndex = this.#edgeIsIndex;
    const edgeCount = this.#info!.edgeCount;
    const toLimit = this.#info!.nodeCount * nf;
    const inverseNf = 1 / nf;
    let p = pos;
    let st = this.#numState;
    let v = this.#numValue;
    let f = this.#field;
    let edge = this.#edge;
    let edgeCapacity = this.#edgeCapacity;
    let maxEdgeName = this.#maxEdgeName;
    let edgeType = this.#edgeType;
    let edgeNameOrIndex = this.#edgeNameOrIndex;
    let edgeTo = this.#edgeTo;
    const fastEnd = end - FAST_MARGIN;
    while (p < end) {
      let c = buf[p]!;
      if (st === N_NUMBER) {
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          if (++p === end) break;
          c = buf[p]!;
        }
        if (p === end) break;
        if (v > MAX_U32) this.#fail(`number ${v} is too large in "edges"`, base + p);
        rec[f] = v;
        if (++f === ef) {
          f = 0;
          if (edge === edgeCapacity) {
            if (edge >= edgeCount)
              this.#fail(`"edges" holds more than edge_count (${edgeCount}) edges`, base + p);
            this.#allocateEdges(grownCapacity(edgeCapacity, edge + 1, edgeCount));
            edgeCapacity = this.#edgeCapacity;
            edgeType = this.#edgeType;
            edgeNameOrIndex = this.#edgeNameOrIndex;
            edgeTo = this.#edgeTo;
          }
          const type = rec[iType]!;
          if (type >= edgeTypeCount) {
            this.#fail(`edge ${edge} has type ${type}, meta.edge_types has ${edgeTypeCount}`, base + p);
          }
          edgeType[edge] = type;
          const name = rec[iName]!;
          edgeNameOrIndex[edge] = name;
          if (name > maxEdgeName && edgeIsIndex[type] === 0) maxEdgeName = name;
          const to = rec[iTo]!;
          // A multiplication instead of a division (this runs 50 M times on a big heap); exact for
          // multiples of nf below 2^32, and the check below rejects everything else.
          const target = (to * inverseNf + 0.5) >>> 0;
          if (to >= toLimit || target * nf !== to) {
            this.#fail(
              `edge ${edge} points to node field offset ${to}: not a multiple of ${nf} below ${toLimit}`,
              base + p,
            );
          }
          edgeTo[edge] = target;
          edge++;
        }
        st = N_AFTER;
      }
      if (c === 0x2c && st === N_AFTER) {
        st = N_VALUE;
        if (f === 0 && p < fastEnd) {
          this.#edge = edge;
          this.#maxEdgeName = maxEdgeName;
          p = this.#edgeRecords(buf, p + 1, this.#fastEnd(W_EDGES, p, end)) - 1;
          edge = this.#edge;
          maxEdgeName = this.#maxEdgeName;
        }
      } else if (c >= 48 && c <= 57 && st !== N_AFTER) {
        st = N_NUMBER;
        v = c - 48;
      } else {
        st = this.#separator(c, st, base + p);
        if (st < 0) {
          this.#field = f;
          this.#edge = edge;
          this.#maxEdgeName = maxEdgeName;
          this.#endNumbers(base + p);
          return p + 1;
        }
      }
      p++;
    }
    this.#numState = st;
    this.#numValue = v;
    this.#field = f;
    this.#edge = edge;
    this.#maxEdgeName = maxEdgeName;
    return p;
  }

  /** The fast path of #edgeNumbers, as #nodeRecords is for nodes. */
  #edgeRecords(buf: Uint8Array, start: number, end: number): number {
    const run = this.#edgeRun;
    if (run !== undefined) {
      run.edge = this.#edge;
      run.maxEdgeName = this.#maxEdgeName;
      const q = readEdgeRecords(buf, start, end, run);
      this.#edge = run.edge;
      this.#maxEdgeName = run.maxEdgeName;
      return q;
    }
    const ef = this.#ef;
    const nf = this.#nf;
    const rec = this.#rec;
    const [iType, iName, iTo] = this.#edgeIndex;
    const edgeTypeCount = this.#edgeTypeCount;
    const edgeIsIndex = this.#edgeIsIndex;
    const toLimit = this.#info!.nodeCount * nf;
    const inverseNf = 1 / nf;
    const edgeCapacity = this.#edgeCapacity;
    const edgeType = this.#edgeType;
    const edgeNameOrIndex = this.#edgeNameOrIndex;
    const edgeTo = this.#edgeTo;
    const fastEnd = end - FAST_MARGIN;
    const digitEnd = end - 2;
    let edge = this.#edge;
    let maxEdgeName = this.#maxEdgeName;
    let q = start;
    while (q < fastEnd && edge < edgeCapacity) {
      let r = q;
      let k = 0;
      for (; k < ef; k++) {
        let x = buf[r]! - 48;
        if (x < 0 || x > 9) break;
        let d = buf[++r]! - 48;
        while (d >= 0 && d <= 9) {
          x = x * 10 + d;
          d = buf[++r]! - 48;
        }
        if (x > MAX_U32 || r > digitEnd) break;
        rec[k] = x;
        if (d === COMMA_DIGIT) r++;
        else if (d === NEWLINE_DIGIT && buf[r + 1] === 0x2c) r += 2;
        else break;
      }
      if (k < ef) break;
      const type = rec[iType]!;
      const to = rec[iTo]!;
      const target = (to * inverseNf + 0.5) >>> 0;
      if (type >= edgeTypeCount || to >= toLimit || target * nf !== to) break;
      edgeType[edge] = type;
      const name = rec[iName]!;
      edgeNameOrIndex[edge] = name;
      if (name > maxEdgeName && edgeIsIndex[type] === 0) maxEdgeName = name;
      edgeTo[edge++] = target;
      q = r;
    }
    this.#edge = edge;
    this.#maxEdgeName = maxEdgeName;
    return q;
  }

  /** Locations and the arrays we only validate (trace_function_infos, samples). */
  #otherNumbers(buf: Uint8Array, pos: number, end: number): number {
    const base = this.#base;
    const locations = this.#kind === K_LOCATIONS;
    const fast = locations && this.#locationsStandard;
    const fastEnd = end - FAST_MARGIN;
    let p = pos;
    let st = this.#numState;
    let v = this.#numValue;
    let negative = this.#numNegative;
    let f = this.#field;
    while (p < end) {
      let c = buf[p]!;
      if (st === N_NUMBER) {
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          if (++p === end) break;
          c = buf[p]!;
        }
        if (p === end) break;
        if (locations) {
          this.#locationNumber(negative ? -v : v, f, base + p);
          if (++f === this.#lf) f = 0;
        } else if (this.#kind === K_TRACE_FUNCTIONS) {
          this.#traceFunctionNumber(negative ? -v : v, base + p);
        }
        st = N_AFTER;
      }
      if (c === 0x2c && st === N_AFTER) {
        st = N_VALUE;
        // Resume after the last whole record (its `,` consumed): the `p++` below lands on it.
        if (fast && f === 0 && p < fastEnd) {
          p = this.#locationRecords(buf, p + 1, this.#fastEnd(W_LOCATIONS, p, end)) - 1;
        }
      } else if (c >= 48 && c <= 57 && st !== N_AFTER) {
        negative = st === N_MINUS;
        st = N_NUMBER;
        v = c - 48;
      } else {
        st = this.#separator(c, st, base + p);
        if (st < 0) {
          this.#field = f;
          this.#endNumbers(base + p);
          return p + 1;
        }
      }
      p++;
    }
    this.#numState = st;
    this.#numValue = v;
    this.#numNegative = negative;
    this.#field = f;
    return p;
  }

  /**
   * The fast path of locations in V8's layout (object_index, script_id, line, column), like
   * #nodeRecords for nodes. Stops at a negative number (-1: unknown), which the careful loop takes.
   */
  #locationRecords(buf: Uint8Array, start: number, end: number): number {
    const fastEnd = end - FAST_MARGIN;
    const digitEnd = end - 2;
    const nf = this.#nf;
    const limit = this.#info!.nodeCount * nf;
    const inverseNf = 1 / nf;
    const capacity = this.#locationCapacity;
    const locationNode = this.#locationNode;
    const locationScriptId = this.#locationScriptId;
    const locationLine = this.#locationLine;
    const locationColumn = this.#locationColumn;
    let location = this.#location;
    let q = start;
    while (q < fastEnd && location < capacity) {
      let r = q;
      let object = buf[r]! - 48;
      if (object < 0 || object > 9) break;
      let d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        object = object * 10 + d;
        d = buf[++r]! - 48;
      }
      if (d !== COMMA_DIGIT) break;
      const node = (object * inverseNf + 0.5) >>> 0;
      if (object >= limit || node * nf !== object) break;
      let script = buf[++r]! - 48;
      if (script < 0 || script > 9) break;
      d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        script = script * 10 + d;
        d = buf[++r]! - 48;
      }
      if (d !== COMMA_DIGIT || script > MAX_U32) break;
      let line = buf[++r]! - 48;
      if (line < 0 || line > 9) break;
      d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        line = line * 10 + d;
        d = buf[++r]! - 48;
      }
      if (d !== COMMA_DIGIT || line > MAX_U32) break;
      let column = buf[++r]! - 48;
      if (column < 0 || column > 9) break;
      d = buf[++r]! - 48;
      while (d >= 0 && d <= 9) {
        column = column * 10 + d;
        d = buf[++r]! - 48;
      }
      if (column > MAX_U32 || r > digitEnd) break;
      if (d === COMMA_DIGIT) r++;
      else if (d === NEWLINE_DIGIT && buf[r + 1] === 0x2c) r += 2;
      else break;
      locationNode[location] = node;
      locationScriptId[location] = script;
      locationLine[location] = line;
      locationColumn[location] = column;
      location++;
      q = r;
    }
    this.#location = location;
    return q;
  }

  #growLocations(capacity: number): void {
    this.#locationCapacity = capacity;
    this.#locationNode = growU32(this.#locationNode, capacity);
    this.#locationScriptId = growU32(this.#locationScriptId, capacity);
    this.#locationLine = growU32(this.#locationLine, capacity);
    this.#locationColumn = growU32(this.#locationColumn, capacity);
  }

  #locationNumber(v: number, f: number, at: number): void {
    const role = this.#locationRoles[f];
    if (f === 0) {
      if (this.#location === this.#locationCapacity) {
        this.#growLocations(grownCapacity(this.#locationCapacity, this.#location + 1, MAX_U32));
      }
    }
    const i = this.#location;
    if (role === F_OBJECT) {
      const nf = this.#nf;
      if (v < 0 || v >= this.#info!.nodeCount * nf || v % nf !== 0) {
        this.#fail(`location ${i} points to node field offset ${v}: not a multiple of ${nf} in range`, at);
      }
      this.#locationNode[i] = v / nf;
    } else if (role !== F_IGNORE && (v > MAX_U32 || v < -MAX_U32)) {
      this.#fail(`number ${v} is out of range in "locations"`, at);
    }
    // A negative value (-1: unknown) wraps as a Uint32Array store wraps it: 0xffffffff.
    else if (role === F_SCRIPT) this.#locationScriptId[i] = v;
    else if (role === F_LINE) this.#locationLine[i] = v;
    else if (role === F_COLUMN) this.#locationColumn[i] = v;
    if (f === this.#lf - 1) this.#location++;
  }

  #endNumbers(at: number): void {
    const info = this.#info!;
    switch (this.#kind) {
      case K_NODES:
        if (this.#field !== 0 || this.#node !== info.nodeCount) {
          this.#fail(
            `"nodes" holds ${this.#node * this.#nf + this.#field} numbers, node_count ${info.nodeCount} × ${this.#nf} fields needs ${info.nodeCount * this.#nf}`,
            at,
          );
        }
        break;
      case K_EDGES:
        if (this.#field !== 0 || this.#edge !== info.edgeCount) {
          this.#fail(
            `"edges" holds ${this.#edge * this.#ef + this.#field} numbers, edge_count ${info.edgeCount} × ${this.#ef} fields needs ${info.edgeCount * this.#ef}`,
            at,
          );
        }
        break;
      case K_LOCATIONS:
        if (this.#field !== 0) this.#fail(`"locations" ends inside a record of ${this.#lf} numbers`, at);
        break;
      case K_TRACE_FUNCTIONS: {
        const fields = info.traceFunctionInfoFields!.length;
        if (this.#traceFunctionLength % fields !== 0) {
          this.#fail(`"trace_function_infos" ends inside a record of ${fields} numbers`, at);
        }
        break;
      }
    }
    this.#state = T_AFTER_VALUE;
  }

  // ---------------------------------------------------------------- allocation traces

  #traceFunctionNumber(v: number, at: number): void {
    if (v > MAX_U32 || v < -MAX_U32) this.#fail(`number ${v} is out of range in "trace_function_infos"`, at);
    if (this.#traceFunctionLength === this.#traceFunctionInfos.length) {
      const capacity = grownCapacity(this.#traceFunctionInfos.length, this.#traceFunctionLength + 1, MAX_U32);
      this.#traceFunctionInfos = growU32(this.#traceFunctionInfos, capacity);
    }
    this.#traceFunctionInfos[this.#traceFunctionLength++] = v;
  }

  /**
   * trace_tree: `[id, function_info_index, count, size, [children…], id, …]` in the meta's field
   * order, nested as deep as the allocation stacks. Flattened in pre-order with a parent index; the
   * nesting is an explicit stack of typed arrays, never recursion. Small (one entry per distinct
   * allocation stack), so clarity wins over speed here.
   */
  #traceTree(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    if (!this.#valueStarted) {
      // Positioned on `[`.
      this.#valueStarted = true;
      this.#ttDepth = 1;
      this.#ttParent[1] = -1;
      this.#ttField[1] = 0;
      this.#ttState = N_FIRST;
      p++;
    }
    const roles = this.#traceRoles;
    const tf = roles.length;
    const base = this.#base;
    let st = this.#ttState;
    let v = this.#ttValue;
    let negative = this.#ttNegative;
    while (p < end) {
      let c = buf[p]!;
      const d = this.#ttDepth;
      if (st === N_NUMBER) {
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          if (++p === end) break;
          c = buf[p]!;
        }
        if (p === end) break;
        this.#traceValue(negative ? -v : v, d, roles, base + p);
        this.#ttField[d] = (this.#ttField[d]! + 1) % tf;
        st = N_AFTER;
      }
      const expectingValue = st === N_FIRST || st === N_VALUE;
      if (c >= 48 && c <= 57 && (expectingValue || st === N_MINUS)) {
        if (roles[this.#ttField[d]!] === TT_CHILDREN)
          this.#fail('expected `[` (children) in "trace_tree"', base + p);
        if (st !== N_MINUS) this.#traceRecordStart(d);
        negative = st === N_MINUS;
        st = N_NUMBER;
        v = c - 48;
      } else if (c === 0x2d && expectingValue) {
        if (roles[this.#ttField[d]!] === TT_CHILDREN)
          this.#fail('expected `[` (children) in "trace_tree"', base + p);
        this.#traceRecordStart(d);
        st = N_MINUS;
      } else if (c === 0x5b && expectingValue) {
        if (roles[this.#ttField[d]!] !== TT_CHILDREN) this.#fail('unexpected `[` in "trace_tree"', base + p);
        this.#traceRecordStart(d);
        if (d + 1 >= MAX_TRACE_DEPTH) this.#fail('"trace_tree" nested too deeply', base + p);
        if (d + 1 >= this.#ttParent.length) {
          const grow = (a: Int32Array) => {
            const b = new Int32Array(a.length * 2);
            b.set(a);
            return b;
          };
          this.#ttParent = grow(this.#ttParent);
          this.#ttField = grow(this.#ttField);
          this.#ttNode = grow(this.#ttNode);
        }
        this.#ttParent[d + 1] = this.#ttNode[d]!;
        this.#ttField[d + 1] = 0;
        this.#ttDepth = d + 1;
        st = N_FIRST;
      } else if (c === 0x2c && st === N_AFTER) {
        st = N_VALUE;
      } else if (c === 0x5d && (st === N_FIRST || st === N_AFTER)) {
        if (this.#ttField[d] !== 0) this.#fail(`a "trace_tree" node ends before its ${tf} fields`, base + p);
        if (d === 1) {
          this.#ttState = st;
          this.#state = T_AFTER_VALUE;
          return p + 1;
        }
        // The children array was the parent record's value at its field.
        this.#ttDepth = d - 1;
        this.#ttField[d - 1] = (this.#ttField[d - 1]! + 1) % tf;
        st = N_AFTER;
      } else if (!isSpace(c) || st === N_MINUS) {
        this.#fail(`unexpected ${showByte(c)} in "trace_tree"`, base + p);
      }
      p++;
    }
    this.#ttState = st;
    this.#ttValue = v;
    this.#ttNegative = negative;
    return p;
  }

  /** At the first value of a record: a new trace node under the array's parent. */
  #traceRecordStart(d: number): void {
    if (this.#ttField[d] !== 0) return;
    if (this.#ttCount === this.#ttCapacity) {
      const capacity = grownCapacity(this.#ttCapacity, this.#ttCount + 1, MAX_U32);
      this.#ttCapacity = capacity;
      this.#ttId = growU32(this.#ttId, capacity);
      this.#ttFunction = growU32(this.#ttFunction, capacity);
      this.#ttNodeCount = growU32(this.#ttNodeCount, capacity);
      this.#ttSize = growU32(this.#ttSize, capacity);
      const parents = new Int32Array(capacity);
      parents.set(this.#ttParents);
      this.#ttParents = parents;
    }
    const n = this.#ttCount++;
    this.#ttParents[n] = this.#ttParent[d]!;
    this.#ttNode[d] = n;
  }

  #traceValue(v: number, d: number, roles: Uint8Array, at: number): void {
    if (v > MAX_U32 || v < -MAX_U32) this.#fail(`number ${v} is out of range in "trace_tree"`, at);
    const n = this.#ttNode[d]!;
    switch (roles[this.#ttField[d]!]) {
      case TT_ID:
        this.#ttId[n] = v;
        break;
      case TT_FUNCTION:
        this.#ttFunction[n] = v;
        break;
      case TT_COUNT:
        this.#ttNodeCount[n] = v;
        break;
      case TT_SIZE:
        this.#ttSize[n] = v;
        break;
    }
  }

  // ---------------------------------------------------------------- strings

  #startStrings(at: number): void {
    // Unescaping never makes a string longer, so the rest of the input bounds the table. Memory is
    // committed only as pages are written, so sizing it to that bound costs nothing extra.
    const rest = this.#totalBytes === undefined ? INITIAL_CAPACITY : this.#totalBytes - at;
    const bytes = Math.min(rest, MAX_STRING_BYTES);
    // The offsets too: a string takes at least three bytes (`"",`).
    const offsets =
      this.#totalBytes === undefined ? INITIAL_CAPACITY : Math.min(MAX_U32, Math.floor(rest / 3) + 2);
    // Shared with a worker's retainer search when the edges are (see backgroundSearch in paths.ts).
    const Memory = this.#edgesDelegated ? SharedArrayBuffer : ArrayBuffer;
    this.#strBytes = new Uint8Array(new Memory(bytes));
    this.#strOffsets = new Uint32Array(new Memory(4 * offsets));
    this.#strState = S_FIRST;
  }

  #strings(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    if (!this.#valueStarted) {
      this.#valueStarted = true;
      p++;
    }
    // Each input byte yields at most one output byte: make room once per chunk.
    let out = this.#strBytes;
    let o = this.#strLength;
    if (o + (end - p) > out.length) {
      // Offsets are Uint32: the table cannot pass 4 GiB.
      if (out.length >= MAX_STRING_BYTES) this.#fail('strings larger than 4 GiB', this.#base + p);
      out = this.#strBytes = growU8(out, grownCapacity(out.length, o + (end - p), MAX_STRING_BYTES));
    }
    let st = this.#strState;
    const base = this.#base;
    while (p < end) {
      if (st === S_IN && this.#highSurrogate === 0) {
        // Whole strings and V8's `",\n"` between them in a loop of their own (see #stringRun).
        this.#strLength = o;
        p = this.#stringRun(buf, p, this.#fastEnd(W_STRINGS, p, end));
        o = this.#strLength;
        st = this.#strState;
        if (p === end) break;
      }
      let c = buf[p]!;
      if (st === S_IN) {
        // The common case: plain bytes (ASCII or raw UTF-8) copied as they are.
        while (c !== 0x22 && c !== 0x5c) {
          out[o++] = c;
          if (++p === end) break;
          c = buf[p]!;
        }
        if (p === end) break;
        if (c === 0x22) {
          o = this.#endString(o, base + p);
          st = S_AFTER;
        } else {
          st = S_ESCAPE;
        }
        p++;
        continue;
      }
      if (st === S_ESCAPE) {
        let byte = -1;
        switch (c) {
          case 0x22:
          case 0x5c:
          case 0x2f:
            byte = c;
            break;
          case 0x62:
            byte = 0x08;
            break;
          case 0x66:
            byte = 0x0c;
            break;
          case 0x6e:
            byte = 0x0a;
            break;
          case 0x72:
            byte = 0x0d;
            break;
          case 0x74:
            byte = 0x09;
            break;
          case 0x75:
            this.#hexCount = 0;
            this.#hexValue = 0;
            st = S_HEX;
            p++;
            continue;
          default:
            this.#strLength = o;
            this.#fail(`invalid escape \\${String.fromCharCode(c)} in "strings"`, base + p);
        }
        if (this.#highSurrogate !== 0) o = this.#flushSurrogate(out, o);
        out[o++] = byte;
        st = S_IN;
        p++;
        continue;
      }
      if (st === S_HIGH) {
        if (c === 0x5c) {
          st = S_ESCAPE;
          p++;
        } else {
          // Anything but another escape leaves the high surrogate alone: U+FFFD, like TextEncoder.
          o = this.#flushSurrogate(out, o);
          st = S_IN;
        }
        continue;
      }
      if (st === S_HEX) {
        const h = hexValue(c);
        if (h < 0) {
          this.#strLength = o;
          this.#fail(`invalid \\u escape in "strings": ${showByte(c)}`, base + p);
        }
        this.#hexValue = (this.#hexValue << 4) | h;
        if (++this.#hexCount === 4) {
          o = this.#codeUnit(out, o, this.#hexValue);
          st = this.#highSurrogate === 0 ? S_IN : S_HIGH;
        }
        p++;
        continue;
      }
      // Between strings.
      if (c === 0x22) {
        if (st === S_AFTER) {
          this.#strLength = o;
          this.#fail('expected `,` between strings', base + p);
        }
        st = S_IN;
      } else if (c === 0x2c) {
        if (st !== S_AFTER) {
          this.#strLength = o;
          this.#fail('unexpected `,` in "strings"', base + p);
        }
        st = S_VALUE;
      } else if (c === 0x5d) {
        if (st === S_VALUE) {
          this.#strLength = o;
          this.#fail('expected a string after `,` in "strings"', base + p);
        }
        this.#strLength = o;
        this.#strState = st;
        this.#state = T_AFTER_VALUE;
        return p + 1;
      } else if (!isSpace(c)) {
        this.#strLength = o;
        this.#fail(`expected a string, got ${showByte(c)} in "strings"`, base + p);
      }
      p++;
    }
    this.#strLength = o;
    this.#strState = st;
    return p;
  }

  /**
   * The fast path of #strings, from inside a string (`p`): copies plain bytes, ends strings, and
   * steps over V8's `",\n"` to the next one, until an escape, another separator, the end of the
   * chunk or a full offsets table; leaves #strState as S_IN (at `p`, inside a string) or S_AFTER
   * (after a closing quote). A method of its own so that V8 optimises it early.
   */
  #stringRun(buf: Uint8Array, pos: number, end: number): number {
    const out = this.#strBytes;
    const offsets = this.#strOffsets;
    const last = offsets.length - 2;
    let o = this.#strLength;
    let count = this.#strCount;
    let p = pos;
    let st = S_IN;
    while (p < end) {
      let c = buf[p]!;
      while (c !== 0x22 && c !== 0x5c) {
        out[o++] = c;
        if (++p === end) break;
        c = buf[p]!;
      }
      if (c !== 0x22 || p === end || count >= last) break;
      offsets[++count] = o;
      if (p + 3 < end && buf[p + 1] === 0x2c && buf[p + 2] === 0x0a && buf[p + 3] === 0x22) {
        p += 4;
        continue;
      }
      st = S_AFTER;
      p++;
      break;
    }
    this.#strLength = o;
    this.#strCount = count;
    this.#strState = st;
    return p;
  }

  #endString(o: number, at: number): number {
    let count = this.#strCount;
    if (count + 2 > this.#strOffsets.length) {
      if (count + 2 > MAX_U32) this.#fail('too many strings', at);
      this.#strOffsets = growU32(
        this.#strOffsets,
        grownCapacity(this.#strOffsets.length, count + 2, MAX_U32),
      );
    }
    count++;
    this.#strOffsets[count] = o;
    this.#strCount = count;
    return o;
  }

  /** Writes a UTF-16 code unit from `\uXXXX` as UTF-8, pairing surrogates; a lone one becomes U+FFFD. */
  #codeUnit(out: Uint8Array, o: number, u: number): number {
    const high = this.#highSurrogate;
    if (high !== 0) {
      this.#highSurrogate = 0;
      if (u >= 0xdc00 && u <= 0xdfff) {
        const cp = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
        out[o++] = 0xf0 | (cp >> 18);
        out[o++] = 0x80 | ((cp >> 12) & 0x3f);
        out[o++] = 0x80 | ((cp >> 6) & 0x3f);
        out[o++] = 0x80 | (cp & 0x3f);
        return o;
      }
      o = writeReplacement(out, o);
    }
    if (u >= 0xd800 && u <= 0xdbff) {
      this.#highSurrogate = u;
      return o;
    }
    if (u >= 0xdc00 && u <= 0xdfff) return writeReplacement(out, o);
    if (u < 0x80) {
      out[o++] = u;
    } else if (u < 0x800) {
      out[o++] = 0xc0 | (u >> 6);
      out[o++] = 0x80 | (u & 0x3f);
    } else {
      out[o++] = 0xe0 | (u >> 12);
      out[o++] = 0x80 | ((u >> 6) & 0x3f);
      out[o++] = 0x80 | (u & 0x3f);
    }
    return o;
  }

  #flushSurrogate(out: Uint8Array, o: number): number {
    this.#highSurrogate = 0;
    return writeReplacement(out, o);
  }

  // ---------------------------------------------------------------- the end

  #finish(): HeapGraphData {
    const at = this.#base;
    if (this.#state !== T_DONE) {
      const inside =
        this.#state === T_BEGIN
          ? 'empty input'
          : this.#state === T_HEADER
            ? 'truncated inside the "snapshot" header'
            : this.#state === T_NUMBERS ||
                this.#state === T_STRINGS ||
                this.#state === T_SKIP ||
                this.#state === T_TRACE_TREE
              ? `truncated inside "${this.#key}"`
              : // Between two sections, or inside a key: the last section read says where.
                this.#key === ''
                ? 'truncated before the "snapshot" header'
                : `truncated after "${this.#key}"`;
      this.#fail(`${inside} (unexpected end of input)`, at);
    }
    const info = this.#info!;
    if (this.#edgesStart >= 0 && !this.#edgesDone) {
      throw new LeakkitError('ERR_LEAKKIT_INVALID_ARGUMENT', 'end() before the delegated edges were resumed');
    }
    for (const key of ['nodes', 'edges', 'strings']) {
      if (!this.#seen.has(key)) this.#fail(`no "${key}" array`, at);
    }
    if (this.#edgeSum !== info.edgeCount) {
      this.#fail(
        `the edge counts of the nodes add up to ${this.#edgeSum}, edge_count is ${info.edgeCount}`,
        at,
      );
    }
    const stringCount = this.#strCount;
    if (this.#maxNodeName >= stringCount) {
      this.#fail(`a node name refers to string ${this.#maxNodeName}, "strings" has ${stringCount}`, at);
    }
    if (this.#maxEdgeName >= stringCount) {
      this.#fail(`an edge name refers to string ${this.#maxEdgeName}, "strings" has ${stringCount}`, at);
    }
    const locations = this.#location;
    const fit = (a: Uint32Array, n: number) => (a.length === n ? a : a.slice(0, n));
    // Views of the used part, not copies: the arrays were sized to a bound up front, or grew by
    // doubling, and the untouched tail of either was never committed to memory.
    const offsets = this.#strOffsets.subarray(0, stringCount + 1);
    const strings = new StringTable(this.#strBytes.subarray(0, this.#strLength), offsets, stringCount);
    const data: HeapGraphData = {
      nodeCount: info.nodeCount,
      edgeCount: info.edgeCount,
      rootIndex: info.rootIndex,
      nodeTypeNames: info.nodeTypeNames,
      edgeTypeNames: info.edgeTypeNames,
      nodeType: this.#nodeType,
      nodeName: this.#nodeName,
      nodeId: this.#nodeId,
      nodeSelfSize: this.#nodeSelfSize,
      firstEdge: this.#firstEdge,
      nodeTraceId: this.#nodeTraceId,
      nodeDetachedness: this.#nodeDetachedness,
      edgeType: this.#edgeType,
      edgeNameOrIndex: this.#edgeNameOrIndex,
      edgeTo: this.#edgeTo,
      strings,
      locationNode: this.#locationNode.subarray(0, locations),
      locationScriptId: this.#locationScriptId.subarray(0, locations),
      locationLine: this.#locationLine.subarray(0, locations),
      locationColumn: this.#locationColumn.subarray(0, locations),
    };
    if (this.#traceFunctionLength > 0 || this.#ttCount > 0) {
      const n = this.#ttCount;
      data.allocationTraces = {
        functionInfoFields: info.traceFunctionInfoFields ?? [],
        functionInfos: fit(this.#traceFunctionInfos, this.#traceFunctionLength),
        traceNodeId: fit(this.#ttId, n),
        traceNodeFunctionInfo: fit(this.#ttFunction, n),
        traceNodeCount: fit(this.#ttNodeCount, n),
        traceNodeSize: fit(this.#ttSize, n),
        traceNodeParent: this.#ttParents.slice(0, n),
      };
    }
    // Drop the parser's references so a parser kept around does not keep the graph alive twice.
    this.#nodeType = new Uint8Array(0);
    this.#nodeName = this.#nodeId = this.#nodeSelfSize = this.#firstEdge = new Uint32Array(0);
    this.#nodeTraceId = this.#nodeDetachedness = undefined;
    this.#edgeType = new Uint8Array(0);
    this.#edgeNameOrIndex = this.#edgeTo = new Uint32Array(0);
    this.#strBytes = new Uint8Array(0);
    this.#strOffsets = new Uint32Array(0);
    this.#locationNode =
      this.#locationScriptId =
      this.#locationLine =
      this.#locationColumn =
        new Uint32Array(0);
    return data;
  }
}

function writeReplacement(out: Uint8Array, o: number): number {
  out[o++] = 0xef;
  out[o++] = 0xbf;
  out[o++] = 0xbd;
  return o;
}

const encoder = new TextEncoder();

/**
 * Parses a V8 heap snapshot from any source of chunks: a file stream, `v8.getHeapSnapshot()`, an
 * array of buffers. Strings chunks are encoded as UTF-8. See {@link HeapSnapshotParser} for the rules.
 *
 * @param source - chunks of the `.heapsnapshot` JSON, in order.
 * @param options - file name for messages, total size when known, progress callback.
 * @returns the graph data (typed arrays and one string table).
 * @throws LeakkitError `ERR_LEAKKIT_BAD_SNAPSHOT` with `offset` when the input is not a valid snapshot.
 *
 * @example
 * ```ts
 * import { getHeapSnapshot } from 'node:v8';
 * const data = await parseHeapSnapshot(getHeapSnapshot());
 * console.log(data.nodeCount);
 * ```
 */
export async function parseHeapSnapshot(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: HeapSnapshotParserOptions = {},
): Promise<HeapGraphData> {
  const parser = new HeapSnapshotParser(options);
  for await (const chunk of source) {
    parser.write(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
  }
  return parser.end();
}
