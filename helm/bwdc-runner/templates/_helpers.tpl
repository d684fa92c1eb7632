{{/* Chart name, truncated to 63 characters (a DNS label). */}}
{{- define "bwdc-runner.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-prefixed full name, truncated to 63 characters. */}}
{{- define "bwdc-runner.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
An instance's resource name, <full name>-<instance>. Kubernetes allows a CronJob name 52 characters
(its Jobs add 11), so instance names have at most 30 (the runner's rule, src/config/schema.ts) and the
full name at most 21: refused with a message naming the instance, never truncated into a collision.
*/}}
{{- define "bwdc-runner.instanceFullname" -}}
{{- $full := printf "%s-%s" (include "bwdc-runner.fullname" .root) .name }}
{{- if and (eq .root.Values.mode "cronjob") (gt (len $full) 52) }}
{{- fail (printf "instances.%s: the CronJob name %q has %d characters; Kubernetes allows 52. Instance names may have 30 characters, the release's full name %q (%d) at most 21: set fullnameOverride or use a shorter release name (docs/kubernetes.md \"Instance names\")" .name $full (len $full) (include "bwdc-runner.fullname" .root) (len (include "bwdc-runner.fullname" .root))) }}
{{- end }}
{{- $full }}
{{- end }}

{{/* The runner's instance-name rule (src/config/schema.ts instanceNamePattern), with the runner's message. */}}
{{- define "bwdc-runner.checkName" -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$" .) }}
{{- fail (printf "instances.%s: %q is not a valid instance name; expected lowercase letters, digits and \"-\", starting and ending with a letter or digit, at most 30 characters (it names Kubernetes resources)" . .) }}
{{- end }}
{{- end }}

{{- define "bwdc-runner.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Kubernetes' recommended labels. helm.sh/chart stays out of selectors. */}}
{{- define "bwdc-runner.labels" -}}
helm.sh/chart: {{ include "bwdc-runner.chart" . }}
{{ include "bwdc-runner.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: bwdc-runner
{{- end }}

{{- define "bwdc-runner.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bwdc-runner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bwdc-runner.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bwdc-runner.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bwdc-runner.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "bwdc-runner.hasSecret" -}}
{{- if or .Values.secrets.existingSecret .Values.secrets.create }}true{{- end }}
{{- end }}

{{- define "bwdc-runner.secretName" -}}
{{- default (printf "%s-secrets" (include "bwdc-runner.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{/* The service-account token is mounted only when Vault Kubernetes auth needs it (or when asked). */}}
{{- define "bwdc-runner.automountToken" -}}
{{- $v := .Values.serviceAccount.automountToken }}
{{- if eq (toString $v) "auto" }}
{{- if and .Values.vault.address (eq .Values.vault.authMethod "kubernetes") }}true{{ else }}false{{ end }}
{{- else }}
{{- $v }}
{{- end }}
{{- end }}

{{/* A duration (90s, 15m, 1h30m, 500ms, or bare seconds) in whole seconds, rounded up: every part summed,
as the runner reads it (src/shared/duration.ts). */}}
{{- define "bwdc-runner.seconds" -}}
{{- $d := toString . | trim }}
{{- if regexMatch "^[0-9]+$" $d }}{{ atoi $d }}
{{- else }}
{{- $ms := 0 }}
{{- range $part := regexFindAll "[0-9]+(ms|s|m|h|d)" $d -1 }}
{{- $n := regexFind "^[0-9]+" $part | atoi }}
{{- $u := regexFind "[a-z]+$" $part }}
{{- $ms = add $ms (mul $n (get (dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000) $u)) }}
{{- end }}
{{- div (add $ms 999) 1000 }}
{{- end }}
{{- end }}

{{/* Replaces H in the minute and hour fields by values derived from the instance's name (like Jenkins' H). */}}
{{- define "bwdc-runner.schedule" -}}
{{- $fields := splitList " " (.schedule | trim) }}
{{- $hash := adler32sum .key | atoi }}
{{- $out := list }}
{{- range $i, $f := $fields }}
{{- if and (eq $i 0) (eq $f "H") }}{{ $out = append $out (toString (mod $hash 60)) }}
{{- else if and (eq $i 1) (eq $f "H") }}{{ $out = append $out (toString (mod (div $hash 60) 24)) }}
{{- else if and (eq $i 0) (hasPrefix "H/" $f) }}{{ $out = append $out (printf "%d/%s" (mod $hash (atoi (trimPrefix "H/" $f))) (trimPrefix "H/" $f)) }}
{{- else }}{{ $out = append $out $f }}{{ end }}
{{- end }}
{{- join " " $out }}
{{- end }}

{{/* An instance's settings merged over the defaults. */}}
{{- define "bwdc-runner.instance" -}}
{{- include "bwdc-runner.checkName" .name }}
{{- $i := merge (deepCopy (default dict .instance)) (deepCopy .root.Values.defaults) }}
{{- if not $i.clientSecret }}
{{- if include "bwdc-runner.hasSecret" .root }}{{ $_ := set $i "clientSecret" "file:///var/run/secrets/bwdc/client-secret" }}
{{- else }}{{ fail (printf "instances.%s: clientSecret is required: a vault://, awssm:// or file:// reference (or configure secrets.existingSecret)" .name) }}{{ end }}
{{- end }}
{{- if not $i.clientId }}{{ fail (printf "instances.%s: clientId is required (organization.<uuid>), here or in defaults" .name) }}{{ end }}
{{- $raw := default dict .instance }}
{{- /* Helm reads a bare `on:` as the key "true" (YAML 1.1): give it its name back. */}}
{{- if $i.notify }}
{{- $targets := list }}
{{- range $t := $i.notify }}
{{- $t = deepCopy $t }}
{{- if hasKey $t "true" }}{{ $_ := set $t "on" (get $t "true") }}{{ $_ := unset $t "true" }}{{ end }}
{{- $targets = append $targets $t }}
{{- end }}
{{- $_ := set $i "notify" $targets }}
{{- end }}
{{- /* As the runner merges them: a directory block of another type than defaults' replaces it whole. */}}
{{- if and $raw.directory .root.Values.defaults.directory }}
{{- if ne (toString $raw.directory.type) (toString .root.Values.defaults.directory.type) }}{{ $_ := set $i "directory" (deepCopy $raw.directory) }}{{ end }}
{{- end }}
{{- if or $raw.dataJson $raw.dataJsonConfigMap }}
{{- if or $raw.directory $raw.sync }}{{ fail (printf "instances.%s: set either directory (and sync) or a data.json template (dataJson, dataJsonConfigMap), not both" .name) }}{{ end }}
{{- /* The instance's own template wins over a directory block in defaults. */}}
{{- $_ := unset $i "directory" }}{{ $_ := unset $i "sync" }}
{{- else if not $i.directory }}{{ fail (printf "instances.%s: set directory (type: ldap, entra, google, okta or onelogin, and its settings), or a data.json template (dataJson inline, or dataJsonConfigMap)" .name) }}
{{- end }}
{{- toYaml $i }}
{{- end }}

{{/* Environment shared by every runner container: backends, proxy, CA, logging. */}}
{{- define "bwdc-runner.commonEnv" -}}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
- name: BWDC_STATE_DIR
  value: /var/lib/bwdc-runner
{{- with .Values.vault }}
{{- if .address }}
- name: VAULT_ADDR
  value: {{ .address | quote }}
- name: VAULT_AUTH_METHOD
  value: {{ .authMethod | quote }}
{{- if .namespace }}
- name: VAULT_NAMESPACE
  value: {{ .namespace | quote }}
{{- end }}
{{- if eq .authMethod "kubernetes" }}
- name: VAULT_K8S_ROLE
  value: {{ required "vault.role is required for Kubernetes auth" .role | quote }}
- name: VAULT_K8S_MOUNT
  value: {{ .mount | quote }}
{{- else if eq .authMethod "token" }}
- name: VAULT_TOKEN_FILE
  value: /var/run/secrets/bwdc/{{ .tokenKey }}
{{- else if eq .authMethod "approle" }}
- name: VAULT_APPROLE_ROLE_ID
  value: {{ required "vault.approleRoleId is required for AppRole auth" .approleRoleId | quote }}
- name: VAULT_APPROLE_SECRET_ID_FILE
  value: /var/run/secrets/bwdc/{{ .approleSecretIdKey }}
{{- end }}
{{- if .caConfigMap.name }}
- name: VAULT_CACERT
  value: /etc/bwdc-runner/vault-ca/{{ .caConfigMap.key }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.aws.region }}
- name: AWS_REGION
  value: {{ .Values.aws.region | quote }}
{{- end }}
{{- with .Values.bws }}
{{- if .accessTokenSecret.name }}
- name: BWS_ACCESS_TOKEN_FILE
  value: /var/run/secrets/bws/{{ .accessTokenSecret.key }}
{{- end }}
{{- if .serverUrl }}
- name: BWS_SERVER_URL
  value: {{ .serverUrl | quote }}
{{- end }}
{{- if .apiUrl }}
- name: BWS_API_URL
  value: {{ .apiUrl | quote }}
- name: BWS_IDENTITY_URL
  value: {{ .identityUrl | quote }}
{{- end }}
{{- end }}
{{- if .Values.caBundle.configMap }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/bwdc-runner/ca/{{ .Values.caBundle.key }}
{{- end }}
{{- with .Values.proxy }}
{{- if .httpsProxy }}
- name: HTTPS_PROXY
  value: {{ .httpsProxy | quote }}
{{- end }}
{{- if .httpProxy }}
- name: HTTP_PROXY
  value: {{ .httpProxy | quote }}
{{- end }}
{{- if .noProxy }}
- name: NO_PROXY
  value: {{ .noProxy | quote }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The keys of the chart's Secret a pod may read (docs/kubernetes.md "Per-instance secrets"): those its
instances' references name under /var/run/secrets/bwdc/, plus Vault's token or AppRole secret id.
.root, .instances (merged instance settings). A JSON list, sorted.
*/}}
{{- define "bwdc-runner.secretKeys" -}}
{{- $keys := list }}
{{- range $i := .instances }}
{{- $refs := list $i.clientSecret (default "" $i.directorySecret) (default "" $i.heartbeat) }}
{{- range $t := $i.notify }}{{ $refs = append $refs $t.url }}{{ end }}
{{- range $ref := $refs }}
{{- $m := regexFind "^file:///var/run/secrets/bwdc/[-._a-zA-Z0-9]+$" (toString $ref) }}
{{- if $m }}{{ $keys = append $keys (trimPrefix "file:///var/run/secrets/bwdc/" $m) }}{{ end }}
{{- end }}
{{- end }}
{{- with .root.Values.vault }}{{ if .address }}
{{- if eq .authMethod "token" }}{{ $keys = append $keys .tokenKey }}{{ end }}
{{- if eq .authMethod "approle" }}{{ $keys = append $keys .approleSecretIdKey }}{{ end }}
{{- end }}{{ end }}
{{- if not (include "bwdc-runner.hasSecret" .root) }}{{ $keys = list }}{{ end }}
{{- toJson (uniq $keys | sortAlpha) }}
{{- end }}

{{/* Volumes shared by every pod: /tmp, its own keys of the Secret, CA bundles, extra. .root, .keys */}}
{{- define "bwdc-runner.commonVolumes" -}}
- name: tmp
  emptyDir: { medium: Memory, sizeLimit: 16Mi }
{{- with .keys }}
- name: secrets
  secret:
    secretName: {{ include "bwdc-runner.secretName" $.root }}
    # Only the keys this pod's instances name: another instance's secrets are not in the pod. Optional:
    # a key missing from an existing Secret is a missing file the runner and `check` name (exit 3),
    # not a pod stuck in ContainerCreating.
    optional: true
    items:
      {{- range . }}
      - { key: {{ . | quote }}, path: {{ . | quote }} }
      {{- end }}
    defaultMode: 288  # 0440 in octal; written in decimal so YAML 1.1 and 1.2 readers agree
{{- end }}
{{- with .root.Values }}
{{- if .caBundle.configMap }}
- name: ca
  configMap: { name: {{ .caBundle.configMap }} }
{{- end }}
{{- if .bws.accessTokenSecret.name }}
- name: bws-token
  secret:
    secretName: {{ .bws.accessTokenSecret.name }}
    items: [{ key: {{ .bws.accessTokenSecret.key | quote }}, path: {{ .bws.accessTokenSecret.key | quote }} }]
    defaultMode: 288  # 0440
{{- end }}
{{- if .vault.caConfigMap.name }}
- name: vault-ca
  configMap: { name: {{ .vault.caConfigMap.name }} }
{{- end }}
{{- with .extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bwdc-runner.commonMounts" -}}
- name: tmp
  mountPath: /tmp
- name: state
  mountPath: /var/lib/bwdc-runner
{{- if .keys }}
- name: secrets
  mountPath: /var/run/secrets/bwdc
  readOnly: true
{{- end }}
{{- with .root.Values }}
{{- if .caBundle.configMap }}
- name: ca
  mountPath: /etc/bwdc-runner/ca
  readOnly: true
{{- end }}
{{- if .bws.accessTokenSecret.name }}
- name: bws-token
  mountPath: /var/run/secrets/bws
  readOnly: true
{{- end }}
{{- if .vault.caConfigMap.name }}
- name: vault-ca
  mountPath: /etc/bwdc-runner/vault-ca
  readOnly: true
{{- end }}
{{- with .extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Resources from the measurements (docs/kubernetes.md "Sizing"): the runner's peak RSS with 1,000
instances (87 MiB, rounded up to 96) plus the real bwdc's per process that runs at once (223 MiB, 224);
the limit half as much again. .n bwdc processes at once, .cpu the request. Set resources to override.
*/}}
{{- define "bwdc-runner.measuredResources" -}}
{{- $request := add 96 (mul .n 224) }}
requests: { cpu: {{ .cpu }}, memory: {{ $request }}Mi }
limits: { memory: {{ div (mul $request 3) 2 }}Mi }
{{- end }}

{{/* Pod-level settings shared by the CronJobs, the Deployment and the test pod. */}}
{{- define "bwdc-runner.podSettings" -}}
serviceAccountName: {{ include "bwdc-runner.serviceAccountName" . }}
automountServiceAccountToken: {{ include "bwdc-runner.automountToken" . }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}
