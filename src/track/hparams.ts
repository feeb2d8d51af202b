// The HParams plugin's protos (tensorboard/plugins/hparams/plugin_data.proto, api.proto), only as
// far as a run's hyperparameter table needs. A run writes, each as a Summary value with no payload
// and plugin_name "hparams" whose content is a serialized HParamsPluginData:
//   _hparams_/session_start_info  HParamsPluginData{ session_start_info = 3: SessionStartInfo{
//       hparams = 1 (map<string, google.protobuf.Value>: number_value 2 | string_value 3 | bool_value 4),
//       group_name = 4, start_time_secs = 5 } }
//   _hparams_/session_end_info    HParamsPluginData{ session_end_info = 4: SessionEndInfo{ status = 1, end_time_secs = 2 } }
//   _hparams_/experiment          (optional) HParamsPluginData{ experiment = 2: Experiment{
//       time_created_secs = 3, hparam_infos = 4: HParamInfo{ name 1, type 4 }, metric_infos = 5: MetricInfo{ name 1: MetricName{ tag 2 } } } }
// HParamsPluginData.version (field 1) must be 0, TensorBoard's only version, so proto3 leaves it out.
// Without an experiment summary TensorBoard infers the table from every run's session_start_info and
// scalar tags; with one it uses the first it finds, so it is left off by default: runs exported into
// one log folder then share one table.

import { decodeFields, ProtoWriter, read } from './protobuf.js';

export const HPARAMS_PLUGIN = 'hparams';
export const EXPERIMENT_TAG = '_hparams_/experiment';
export const SESSION_START_TAG = '_hparams_/session_start_info';
export const SESSION_END_TAG = '_hparams_/session_end_info';

export type HParamValue = number | string | boolean;

/** tensorboard.hparams.Status */
export const SessionStatus = { UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, RUNNING: 3 } as const;
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];

/** tensorboard.hparams.DataType */
const DataType = { STRING: 1, BOOL: 2, FLOAT64: 3 } as const;

function protoValue(v: HParamValue): ProtoWriter {
  // a oneof member is written even when it holds its default (0, '', false): that is what sets the oneof
  if (typeof v === 'number') return new ProtoWriter().double(2, v);
  if (typeof v === 'string') return new ProtoWriter().string(3, v);
  return new ProtoWriter().int(4, v);
}

const pluginData = (field: number, body: ProtoWriter) => new ProtoWriter().message(field, body).finish();

export function sessionStartContent(hparams: Record<string, HParamValue>, opts: { groupName?: string; startTimeSecs?: number } = {}): Uint8Array {
  const s = new ProtoWriter();
  for (const [k, v] of Object.entries(hparams)) s.message(1, new ProtoWriter().string(1, k).message(2, protoValue(v)));
  if (opts.groupName) s.string(4, opts.groupName);
  if (opts.startTimeSecs !== undefined) s.double(5, opts.startTimeSecs);
  return pluginData(3, s);
}

export function sessionEndContent(status: SessionStatus, endTimeSecs?: number): Uint8Array {
  const s = new ProtoWriter();
  if (status !== 0) s.int(1, status);
  if (endTimeSecs !== undefined) s.double(2, endTimeSecs);
  return pluginData(4, s);
}

export function experimentContent(hparams: Record<string, HParamValue>, metricTags: string[], timeCreatedSecs?: number): Uint8Array {
  const e = new ProtoWriter();
  if (timeCreatedSecs !== undefined) e.double(3, timeCreatedSecs);
  for (const [k, v] of Object.entries(hparams)) {
    const type = typeof v === 'number' ? DataType.FLOAT64 : typeof v === 'string' ? DataType.STRING : DataType.BOOL;
    e.message(4, new ProtoWriter().string(1, k).int(4, type));
  }
  for (const tag of metricTags) e.message(5, new ProtoWriter().message(1, new ProtoWriter().string(2, tag)));
  return pluginData(2, e);
}

export interface HParamsPluginData {
  version: number;
  sessionStart?: { hparams: Record<string, HParamValue | null>; groupName: string; startTimeSecs: number };
  sessionEnd?: { status: number; endTimeSecs: number };
  experiment?: { timeCreatedSecs: number; hparams: { name: string; type: number }[]; metrics: string[] };
}

/** Decodes a plugin content blob written by the functions above (or by TensorBoard / PyTorch). */
export function decodeHParamsPluginData(buf: Uint8Array): HParamsPluginData {
  const out: HParamsPluginData = { version: 0 };
  for (const f of decodeFields(buf)) {
    if (f.field === 1) out.version = read.int64(f);
    else if (f.field === 2) out.experiment = decodeExperiment(read.bytes(f));
    else if (f.field === 3) out.sessionStart = decodeSessionStart(read.bytes(f));
    else if (f.field === 4) {
      const end = { status: 0, endTimeSecs: 0 };
      for (const g of decodeFields(read.bytes(f))) {
        if (g.field === 1) end.status = read.int64(g);
        else if (g.field === 2) end.endTimeSecs = read.double(g);
      }
      out.sessionEnd = end;
    }
  }
  return out;
}

function decodeSessionStart(buf: Uint8Array): NonNullable<HParamsPluginData['sessionStart']> {
  const s: NonNullable<HParamsPluginData['sessionStart']> = { hparams: {}, groupName: '', startTimeSecs: 0 };
  for (const f of decodeFields(buf)) {
    if (f.field === 1) {
      let key = '';
      let value: HParamValue | null = null;
      for (const g of decodeFields(read.bytes(f))) {
        if (g.field === 1) key = read.string(g);
        else if (g.field === 2) value = decodeProtoValue(read.bytes(g));
      }
      s.hparams[key] = value;
    } else if (f.field === 4) s.groupName = read.string(f);
    else if (f.field === 5) s.startTimeSecs = read.double(f);
  }
  return s;
}

function decodeProtoValue(buf: Uint8Array): HParamValue | null {
  let value: HParamValue | null = null;
  for (const f of decodeFields(buf)) {
    if (f.field === 2) value = read.double(f);
    else if (f.field === 3) value = read.string(f);
    else if (f.field === 4) value = read.int64(f) !== 0;
  }
  return value;
}

function decodeExperiment(buf: Uint8Array): NonNullable<HParamsPluginData['experiment']> {
  const e: NonNullable<HParamsPluginData['experiment']> = { timeCreatedSecs: 0, hparams: [], metrics: [] };
  for (const f of decodeFields(buf)) {
    if (f.field === 3) e.timeCreatedSecs = read.double(f);
    else if (f.field === 4) {
      const info = { name: '', type: 0 };
      for (const g of decodeFields(read.bytes(f))) {
        if (g.field === 1) info.name = read.string(g);
        else if (g.field === 4) info.type = read.int64(g);
      }
      e.hparams.push(info);
    } else if (f.field === 5) {
      for (const g of decodeFields(read.bytes(f))) {
        if (g.field !== 1) continue;
        for (const h of decodeFields(read.bytes(g))) if (h.field === 2) e.metrics.push(read.string(h));
      }
    }
  }
  return e;
}
