// Linux kernel sensor (eBPF): the aw-sensor helper, its record decoder and normalizer.
export { SensorProcess, sensorBinary, sensorUnavailableReason } from './sensor.js';
export type { SensorOptions, SensorCounts } from './sensor.js';
export { KernelNormalizer } from './normalize.js';
export type { NormalizeOptions, NormalizeCounters, UntrackedExec } from './normalize.js';
export { RecordFramer, decodeRecord, COUNT_NAMES, T as RECORD_TYPES } from './records.js';
export type { RawRecord, CountName } from './records.js';
export { parseDnsQuery, parseClientHello, parseConnectLine, ipString } from './netparse.js';
export { persistenceClass, sensitiveClass } from './classify.js';
