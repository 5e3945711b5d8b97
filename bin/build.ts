// `npm run build`: the artifact the tests run and the image copies (tools/bundle.ts): the platform with the demo chat.
import { rmSync } from 'node:fs';
import { bundleNode } from '../tools/bundle';

const OUT = 'service/dist';
// Nothing stale survives: a file a build no longer writes would otherwise still ship.
rmSync(OUT, { recursive: true, force: true });
bundleNode({ outDir: OUT });
