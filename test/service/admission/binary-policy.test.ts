import { describe, expect, it } from 'vitest';
import { binaryPolicy } from '../../../service/src/admission/binary-policy';

const limits = (maxHttpBufferBytes: number, maxBytes: number) => ({
  maxHttpBufferBytes,
  limits: { partialPackets: { timeoutMs: 10_000, maxBytes } },
});
const DEFAULTS = limits(65_536, 33_554_432);

describe("binaryPolicy: the app's settings within the node's limits", () => {
  it('takes what a stock server takes when the app declares nothing: 10 attachments of the largest message', () => {
    expect(binaryPolicy(undefined, DEFAULTS)).toEqual({ accepted: true, maxAttachments: 10, maxAttachmentBytes: 65_536 });
    expect(binaryPolicy({}, DEFAULTS)).toEqual({ accepted: true, maxAttachments: 10, maxAttachmentBytes: 65_536 });
    // As many as the node's budget holds, when messages are large.
    expect(binaryPolicy(undefined, limits(1_048_576, 4_194_304))).toMatchObject({ maxAttachments: 4 });
  });

  it('takes none for `binary: false`, and what the app declares otherwise', () => {
    expect(binaryPolicy({ binary: false }, DEFAULTS)).toMatchObject({ accepted: false });
    expect(binaryPolicy({ binary: { maxAttachments: 2 } }, DEFAULTS)).toEqual({
      accepted: true,
      maxAttachments: 2,
      maxAttachmentBytes: 65_536,
    });
    expect(binaryPolicy({ binary: { maxAttachmentBytes: 1_000 } }, DEFAULTS)).toEqual({
      accepted: true,
      maxAttachments: 10,
      maxAttachmentBytes: 1_000,
    });
  });

  it('refuses settings the node cannot honour, naming the setting, the limit and its deploy key', () => {
    expect(() => binaryPolicy({ binary: { maxAttachmentBytes: 65_537 } }, DEFAULTS, 'app/index.js')).toThrow(
      /^app app\/index\.js: settings\.binary\.maxAttachmentBytes \(65537\) is above MAX_HTTP_BUFFER_BYTES \(65536\).*maxHttpBufferBytes/,
    );
    expect(() => binaryPolicy({ binary: { maxAttachments: 10 } }, limits(65_536, 131_072))).toThrow(
      /settings\.binary allows packets of 10 × 65536 bytes, more than PARTIAL_PACKETS_MAX_BYTES \(131072\).*partialPacketsMaxBytes/,
    );
  });
});
