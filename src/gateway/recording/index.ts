// Public surface of gateway recordings.
export { SessionRecorder, startRecording, readRecording, findRecording, listRecordings, loadRecordingKeys, recordingDir, keyId, DEFAULT_KEY_FILE } from './recording.js';
export type { Recording, RecordingHeader, RecordingKey } from './recording.js';
