// Parsers between stanzas, shared by the sessions of one server. A session
// borrows a parser for each read and gives it back when the read ended
// between stanzas; only a session in the middle of a stanza keeps one.
//
// Why: thousands of sessions each holding a parser pay its memory while idle,
// and every parser keeps what it last parsed (the chunk, the last tag and its
// attributes) until the session's next stanza. On a server where each device
// speaks once a second, V8 promotes all of that to the old generation: about
// 1 KB per stanza of garbage that only a major GC collects. A parser shared
// between reads leaves that garbage young.
import { StreamParser, type StreamHeader, type StreamParserHandler, type StreamParserLimits } from './stream-parser.ts';

/** Idle parsers kept per header shape. Reads are parsed one at a time, so a few are plenty. */
const MAX_IDLE_PER_HEADER = 4;
/** Header shapes pooled at all: clients choose their namespace declarations, so the map must not grow without bound. */
const MAX_HEADER_SHAPES = 64;

/** The handler of a parser in the pool: it keeps no session alive. Idle parsers are not written to. */
const DETACHED: StreamParserHandler = { streamStarted() {}, stanza() {}, streamEnded() {} };

export class ParserPool {
  /** Idle parsers by the header they continue (StreamHeader.resumeTag). */
  private readonly idle = new Map<string, StreamParser[]>();

  constructor(private readonly limits: StreamParserLimits) {}

  /** A parser for a new stream: the next input is its header. */
  fresh(handler: StreamParserHandler): StreamParser {
    return new StreamParser(handler, this.limits);
  }

  /** A parser positioned between two stanzas of a stream with this header. */
  take(header: StreamHeader, handler: StreamParserHandler): StreamParser {
    const parser = this.idle.get(header.resumeTag)?.pop();
    if (!parser) return StreamParser.resumeAfter(header, handler, this.limits);
    parser.handler = handler;
    return parser;
  }

  /** Takes a parser back if it sits between stanzas; true when it did (the caller must not use it again). */
  give(parser: StreamParser): boolean {
    const header = parser.streamHeader;
    if (!parser.idle || !header) return false;
    let list = this.idle.get(header.resumeTag);
    if (!list && this.idle.size < MAX_HEADER_SHAPES) this.idle.set(header.resumeTag, (list = []));
    if (list && list.length < MAX_IDLE_PER_HEADER) {
      parser.handler = DETACHED;
      list.push(parser);
    }
    return true;
  }
}
