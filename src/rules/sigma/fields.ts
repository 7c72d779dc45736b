// Sigma's field vocabulary (Sysmon names, used by Sigma for every OS) mapped onto the
// normalized event. Fields with no normalized home (OriginalFileName, Hashes, Signed, ...)
// are kept by the Sysmon converter under `attributes.<SysmonName>`, which is also the
// fallback here, so any Sysmon field a rule names can be matched.
import type { AwEvent } from '../../schema/index.js';

export type SigmaGetter = (ev: AwEvent) => unknown;

function attr(name: string): SigmaGetter {
  return (ev) => ev.attributes?.[name];
}

const registryEventType: SigmaGetter = (ev) => {
  const op = ev.registry?.operation;
  return op === 'set' ? 'SetValue' : op === 'create' ? 'CreateKey' : op === 'delete' ? 'DeleteValue' : op === 'rename' ? 'RenameKey' : ev.attributes?.EventType;
};

const MAP: Record<string, SigmaGetter> = {
  Image: (ev) => ev.process?.exe,
  CommandLine: (ev) => (ev.attributes?.command_line as string | undefined) ?? ev.process?.argv?.join(' '),
  ParentImage: (ev) => ev.process?.ancestry?.[0]?.exe,
  ParentCommandLine: (ev) => ev.attributes?.parent_command_line,
  ParentProcessId: (ev) => ev.process?.ppid ?? ev.process?.ancestry?.[0]?.pid,
  ProcessId: (ev) => ev.process?.pid,
  CurrentDirectory: (ev) => ev.process?.cwd,
  User: (ev) => ev.session?.user ?? ev.attributes?.User,
  LogonId: attr('LogonId'),
  TargetFilename: (ev) => ev.file?.path,
  ImageLoaded: (ev) => ev.library?.path,
  TargetObject: (ev) => ev.registry?.key,
  Details: (ev) => ev.registry?.data,
  EventType: registryEventType,
  NewName: (ev) => ev.file?.target_path ?? ev.attributes?.NewName,
  QueryName: (ev) => ev.dns?.query,
  QueryResults: (ev) => ev.dns?.answers?.join(';') ?? ev.attributes?.QueryResults,
  QueryStatus: attr('QueryStatus'),
  DestinationIp: (ev) => ev.network?.dst_ip,
  DestinationPort: (ev) => ev.network?.dst_port,
  DestinationHostname: (ev) => ev.network?.dst_host,
  SourceIp: (ev) => ev.network?.src_ip,
  SourcePort: (ev) => ev.network?.src_port,
  Initiated: (ev) => (ev.network?.direction === undefined ? undefined : ev.network.direction === 'outbound' ? 'true' : 'false'),
  Protocol: (ev) => ev.network?.transport,
  Computer: (ev) => ev.host?.name,
  Hostname: (ev) => ev.host?.name,
};

/** Getter for a Sigma field name (case-sensitive Sysmon names; unknown ones read attributes). */
export function sigmaGetter(field: string): SigmaGetter {
  return MAP[field] ?? attr(field);
}
