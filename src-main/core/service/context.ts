// What an analysis's API calls may use of the service: the open model and folder, decoding and
// preprocessing exactly as the other views do, and the job runner (progress events, cancel).
import type { LayerInfo } from '../../common/types.ts';
import type { ImageEntry } from '../../common/types.ts';
import type { DecodedImage, FolderListing } from '../images/index.ts';
import type { Jobs } from '../jobs/jobs.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import type { ModelSession } from '../model/model-session.ts';

export interface ServiceContext {
  readonly jobs: Jobs;
  readonly host: RuntimeHost;
  requireModel(): ModelSession;
  requireFolder(): FolderListing;
  requireLayer(model: ModelSession, layer: string): LayerInfo;
  /** An image of the open folder by its folder-relative path: absolute file and listing entry. */
  imageFile(rel: string): Promise<{ file: string; entry: ImageEntry }>;
  /** Decoded for the open model's channel count (before preprocessing); failures join the skipped list. */
  decodeForModel(rel: string): Promise<{ image: DecodedImage; entry: ImageEntry }>;
  /** Decoded and preprocessed for the open model (C×H×W). */
  inputTensor(rel: string): Promise<{ tensor: Float32Array; entry: ImageEntry }>;
  /** Runtime cache id of an image's kept forward pass (for ModelSession.keep/project). */
  keepId(model: ModelSession, rel: string): string;
  /**
   * A session of a model file for one piece of work: one the app holds already (owned: false), else
   * a new one the caller closes (owned: true). Unlike sessionFor it never evicts a session in use.
   */
  workSession(file: string): Promise<{ session: ModelSession; owned: boolean }>;
  /** Opens (or reuses) a session for another model file without making it the current model. */
  sessionFor(file: string): Promise<ModelSession>;
}
