/** Thin entry: builds the service and exposes it. All logic lives in ./service.ts. */
import { expose } from 'comlink';
import { createAsrService } from './service';

expose(createAsrService());
