// The data checks, cheap first: statistics and labels, then the pictures, then the hash scans.

import type { Check } from '../types.js';
import { inputStatsCheck } from './input-stats.js';
import { labelDistributionCheck } from './label-distribution.js';
import { shuffledOrderCheck } from './shuffled-order.js';
import { corruptImagesCheck } from './corrupt-images.js';
import { trainTestDriftCheck } from './drift.js';
import { sampleGridCheck, batchAsModelSeesItCheck } from './samples.js';
import { duplicatesCheck } from './duplicates.js';

export { inputStatsCheck, inputStats, INPUT_STATS_THRESHOLDS, type InputStats, type InputStatsThresholds } from './input-stats.js';
export { labelDistributionCheck, classCountsOf } from './label-distribution.js';
export { shuffledOrderCheck, expectedDistinct, runStats, type ShuffledOrderOptions } from './shuffled-order.js';
export { corruptImagesCheck, scanCorrupt, type CorruptScan } from './corrupt-images.js';
export { trainTestDriftCheck, imageProperties, type ImageProperties } from './drift.js';
export { sampleGridCheck, batchAsModelSeesItCheck } from './samples.js';
export { duplicatesCheck, sampleHashes, perceptualFeatures, type DuplicatesOptions } from './duplicates.js';
export { ks2samp, ksStatistic, ksExactPvalue, kolmogorovSf, KS_EXACT_MAX_CELLS, type KsResult } from './ks.js';
export { samplesOf, labelsOf, type Samples } from './arrays.js';

export const inputStatsData = inputStatsCheck();
export const labelDistribution = labelDistributionCheck();
export const shuffledOrder = shuffledOrderCheck();
export const corruptImages = corruptImagesCheck();
export const trainTestDrift = trainTestDriftCheck();
export const sampleGrid = sampleGridCheck();
export const batchAsModelSeesIt = batchAsModelSeesItCheck();
export const duplicates = duplicatesCheck();

/** The data checks in cheap-first order (duplicates, the one moderate check, last). */
export const DATA_CHECKS: Check[] = [
  inputStatsData,
  labelDistribution,
  shuffledOrder,
  corruptImages,
  trainTestDrift,
  batchAsModelSeesIt,
  sampleGrid,
  duplicates,
];
