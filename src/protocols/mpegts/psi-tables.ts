/** Parses and builds the two PSI tables a single-program stream needs: PAT and PMT (ISO/IEC 13818-1 2.4.4). */
import { crc32Mpeg } from './crc32-mpeg.js';
import { TABLE_ID_PAT, TABLE_ID_PMT } from './ts-constants.js';

export interface PatInfo {
  /** program_map_PID of the first program (program_number != 0) */
  pmtPid: number;
  programNumber: number;
}

export interface PmtStream {
  streamType: number;
  pid: number;
}

export interface PmtInfo {
  version: number;
  pcrPid: number;
  streams: PmtStream[];
}

/** Fields common to long-form sections: returns where the table body starts and ends (before CRC). */
function sectionBody(section: Buffer): { start: number; end: number; version: number; currentNext: boolean } | undefined {
  // section_syntax_indicator must be '1' for PAT and PMT.
  if (section.length < 12 || (section[1]! & 0x80) === 0) return undefined;
  return {
    start: 8,
    end: section.length - 4,
    version: (section[5]! >> 1) & 0x1f,
    currentNext: (section[5]! & 1) === 1,
  };
}

export function parsePat(section: Buffer): PatInfo | undefined {
  if (section[0] !== TABLE_ID_PAT) return undefined;
  const body = sectionBody(section);
  if (!body || !body.currentNext) return undefined;
  for (let pos = body.start; pos + 4 <= body.end; pos += 4) {
    const programNumber = section.readUInt16BE(pos);
    // "program_number 0 ... the following PID is the network_PID", not a PMT.
    if (programNumber === 0) continue;
    return { programNumber, pmtPid: section.readUInt16BE(pos + 2) & 0x1fff };
  }
  return undefined;
}

export function parsePmt(section: Buffer): PmtInfo | undefined {
  if (section[0] !== TABLE_ID_PMT) return undefined;
  const body = sectionBody(section);
  if (!body || !body.currentNext || section.length < 16) return undefined;
  const pcrPid = section.readUInt16BE(8) & 0x1fff;
  const programInfoLength = section.readUInt16BE(10) & 0x0fff;
  const streams: PmtStream[] = [];
  let pos = 12 + programInfoLength;
  while (pos + 5 <= body.end) {
    const streamType = section[pos]!;
    const pid = section.readUInt16BE(pos + 1) & 0x1fff;
    const esInfoLength = section.readUInt16BE(pos + 3) & 0x0fff;
    streams.push({ streamType, pid });
    pos += 5 + esInfoLength;
  }
  return { version: body.version, pcrPid, streams };
}

/** Writes the long-form section header, the body and the CRC into a new buffer. */
function buildSection(tableId: number, idExtension: number, version: number, body: Buffer): Buffer {
  const section = Buffer.alloc(8 + body.length + 4);
  section[0] = tableId;
  // section_syntax_indicator '1', '0', reserved '11', section_length counts the bytes after it.
  section.writeUInt16BE(0xb000 | (section.length - 3), 1);
  section.writeUInt16BE(idExtension, 3);
  section[5] = 0xc0 | ((version & 0x1f) << 1) | 1; // reserved '11', version, current_next_indicator
  section[6] = 0; // section_number
  section[7] = 0; // last_section_number
  body.copy(section, 8);
  section.writeUInt32BE(crc32Mpeg(section, 0, section.length - 4), section.length - 4);
  return section;
}

export function buildPat(programNumber: number, pmtPid: number, transportStreamId = 1): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16BE(programNumber, 0);
  body.writeUInt16BE(0xe000 | pmtPid, 2);
  return buildSection(TABLE_ID_PAT, transportStreamId, 0, body);
}

export function buildPmt(programNumber: number, version: number, pcrPid: number, streams: PmtStream[]): Buffer {
  const body = Buffer.alloc(4 + streams.length * 5);
  body.writeUInt16BE(0xe000 | pcrPid, 0);
  body.writeUInt16BE(0xf000, 2); // program_info_length 0
  streams.forEach((s, i) => {
    const pos = 4 + i * 5;
    body[pos] = s.streamType;
    body.writeUInt16BE(0xe000 | s.pid, pos + 1);
    body.writeUInt16BE(0xf000, pos + 3); // ES_info_length 0
  });
  return buildSection(TABLE_ID_PMT, programNumber, version, body);
}
