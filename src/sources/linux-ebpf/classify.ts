// Path classes the sensor flags: persistence locations (a write there survives the
// session) and sensitive reads (credentials). Both are decided on the resolved path.

const PERSISTENCE: Array<[RegExp, string]> = [
  [/\/\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin|kshrc|cshrc|tcshrc)$/, 'shell_rc'],
  [/\/\.config\/fish\/(config\.fish|conf\.d\/)/, 'shell_rc'],
  [/^\/etc\/(profile|bash\.bashrc|zsh\/zshrc|environment)$|^\/etc\/profile\.d\//, 'shell_rc'],
  [/^\/var\/spool\/cron\/|^\/etc\/cron(tab$|\.d\/|\.(hourly|daily|weekly|monthly)\/)|^\/var\/spool\/anacron\//, 'cron'],
  [/\/\.config\/systemd\/user\/|^\/etc\/systemd\/(system|user)\/|^\/(usr\/)?lib\/systemd\/(system|user)\//, 'systemd_user'],
  [/\/\.config\/autostart\/|^\/etc\/xdg\/autostart\//, 'xdg_autostart'],
  [/\/\.git\/hooks\/[^/]+$|\/\.husky\/[^/]+$/, 'git_hook'],
  [/\/\.ssh\/(authorized_keys2?|rc|config)$/, 'ssh_authorized_keys'],
  [/^\/etc\/ld\.so\.preload$/, 'ld_preload'],
  [/^\/etc\/sudoers(\.d\/.*)?$/, 'sudoers'],
  [/^\/etc\/rc\.local$|^\/etc\/init\.d\//, 'init_script'],
  [/\/\.(claude|gemini|codex|cursor)\/(settings(\.local)?\.json|config\.toml|hooks?\/)/, 'agent_config'],
];

const SENSITIVE: Array<[RegExp, string]> = [
  [/\/\.aws\/(credentials|config)$/, 'cloud_credentials'],
  [/\/\.config\/gcloud\/|\/\.azure\//, 'cloud_credentials'],
  [/\/\.ssh\/(id_[^/]*|[^/]*\.pem|known_hosts)$/, 'ssh_key'],
  [/\/\.gnupg\//, 'gpg'],
  [/(^|\/)\.env(\.[^/]*)?$/, 'dotenv'],
  [/\/\.(netrc|npmrc|pypirc|git-credentials|pgpass|my\.cnf)$/, 'credentials_file'],
  [/\/\.docker\/config\.json$|\/\.kube\/config$/, 'credentials_file'],
  [/\/\.config\/gh\/hosts\.yml$/, 'credentials_file'],
  [/\/\.claude\/\.credentials\.json$|\/\.codex\/auth\.json$|\/\.gemini\/oauth_creds\.json$/, 'agent_credentials'],
  [/^\/etc\/(shadow|gshadow|sudoers)$/, 'system_secrets'],
  [/^\/proc\/\d+\/(environ|mem)$/, 'process_memory'],
  [/\.(pem|key|p12|pfx|kdbx)$/, 'key_material'],
];

export function persistenceClass(path: string): string | undefined {
  for (const [re, cls] of PERSISTENCE) if (re.test(path)) return cls;
  return undefined;
}

export function sensitiveClass(path: string): string | undefined {
  for (const [re, cls] of SENSITIVE) if (re.test(path)) return cls;
  return undefined;
}
