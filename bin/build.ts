// `npm run build`: the artifact the tests run and the image copies (tools/bundle.ts): the platform with the demo chat.
import { buildDist } from '../tools/bundle';

buildDist();
