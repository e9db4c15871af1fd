/** AMF0 value model and type markers (Action Message Format AMF0, section 2). */

export const enum Amf0Marker {
  Number = 0x00,
  Boolean = 0x01,
  String = 0x02,
  Object = 0x03,
  MovieClip = 0x04,
  Null = 0x05,
  Undefined = 0x06,
  Reference = 0x07,
  EcmaArray = 0x08,
  ObjectEnd = 0x09,
  StrictArray = 0x0a,
  Date = 0x0b,
  LongString = 0x0c,
}

/** An ECMA array (associative array) on the wire; decoded ones come back as plain objects. */
export class Amf0EcmaArray {
  constructor(readonly entries: Record<string, Amf0Value>) {}
}

export type Amf0Object = { [key: string]: Amf0Value };
export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | Amf0EcmaArray
  | Amf0Object;
