import type { AppSettings } from '../../../contract/app';
import { AppModuleError } from '../app-module';
import type { Config } from '../config';

/** The binary events and acks a node takes, from its app's settings (contract/app.ts) within the node's limits. */
export interface BinaryPolicy {
  /** False: every binary packet closes its connection (`binary_refused`). */
  readonly accepted: boolean;
  readonly maxAttachments: number;
  readonly maxAttachmentBytes: number;
}

/** socket.io-parser's own bound: a packet announcing more attachments is a parse error. */
const PARSER_MAX_ATTACHMENTS = 10;

type Limits = Pick<Config, 'maxHttpBufferBytes'> & { readonly limits: Pick<Config['limits'], 'partialPackets'> };

/**
 * What the app declares, checked against the node's limits: an attachment is one message, so it cannot be larger than
 * MAX_HTTP_BUFFER_BYTES; and one whole packet must fit the node's PARTIAL_PACKETS_MAX_BYTES, or it could never arrive.
 * An app that declares nothing takes what a stock server takes: 10 attachments of the largest message each, or as
 * many as fit the node's budget. Throws AppModuleError naming the setting and the limit.
 */
export function binaryPolicy(settings: AppSettings | undefined, config: Limits, file = 'app'): BinaryPolicy {
  const maxMessage = config.maxHttpBufferBytes;
  const budget = config.limits.partialPackets.maxBytes;
  const binary = settings?.binary;
  if (binary === false) return { accepted: false, maxAttachments: 0, maxAttachmentBytes: 0 };
  if (binary === undefined) {
    return {
      accepted: true,
      maxAttachments: Math.min(PARSER_MAX_ATTACHMENTS, Math.floor(budget / maxMessage)),
      maxAttachmentBytes: maxMessage,
    };
  }
  const maxAttachments = binary.maxAttachments ?? PARSER_MAX_ATTACHMENTS;
  const maxAttachmentBytes = binary.maxAttachmentBytes ?? maxMessage;
  if (maxAttachmentBytes > maxMessage) {
    throw new AppModuleError(
      `app ${file}: settings.binary.maxAttachmentBytes (${maxAttachmentBytes}) is above MAX_HTTP_BUFFER_BYTES (${maxMessage}), ` +
        'the largest message: raise MAX_HTTP_BUFFER_BYTES (the maxHttpBufferBytes deploy key) or lower the setting',
    );
  }
  if (maxAttachments * maxAttachmentBytes > budget) {
    throw new AppModuleError(
      `app ${file}: settings.binary allows packets of ${maxAttachments} × ${maxAttachmentBytes} bytes, more than ` +
        `PARTIAL_PACKETS_MAX_BYTES (${budget}) a node holds of all partial packets together: raise it (the partialPacketsMaxBytes ` +
        'deploy key) or lower the settings',
    );
  }
  return { accepted: true, maxAttachments, maxAttachmentBytes };
}
