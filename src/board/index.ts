// The web dashboard over the run store (`sous board`).
export { startBoard, packageRoot, BoardError, type Board, type BoardOptions } from './server.js';
export { downsample, downsampleIndices, jsonValue, type Curve } from './downsample.js';
export { configDiff, flatten, HttpError } from './api.js';
