export { InpaintingError, checkHoleOptions, drawHoles, holesToMask, randomRectangleMasks, maskedInputs, inpaintingTargets, splitMaskChannel, composite, type HoleOptions, type Hole } from './masks.js';
export { InpaintingLoss, type InpaintingLossOptions, type PixelLoss } from './loss.js';
export { CompletedImageMetric, inpaintingMetrics } from './metrics.js';
export { InpaintingLoader, type InpaintingLoaderOptions } from './loader.js';
export { meanFill, smoothFill, harmonicFill, nearestTrainingFill, type SmoothFillOptions, type HarmonicFill, type NearestTrainingFillOptions, type NearestTrainingFill } from './baselines.js';
export { frechetDistance, frechetDistanceFromStatistics, featureStatistics, classifierFeatures, FrechetError, FRECHET_DISTANCE_NAME, type FeatureStatistics, type ClassifierFeatureOptions } from './frechet.js';
