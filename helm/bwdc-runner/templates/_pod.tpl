{{/* The pieces every runner pod shares (the CronJobs', the StatefulSet's, the `helm test` pods'). */}}

{{/* Environment shared by every runner container: backends, proxy, CA, logging. */}}
{{- define "bwdc-runner.commonEnv" -}}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
- name: BWDC_RUNNER_CONFIG
  value: /etc/bwdc-runner/config.yaml
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

{{/* Volumes shared by every pod: config.yaml, /tmp, its own keys of the Secret, CA bundles, extra. .root, .keys */}}
{{- define "bwdc-runner.commonVolumes" -}}
- name: config
  configMap:
    name: {{ include "bwdc-runner.fullname" .root }}-config
    items: [{ key: config.yaml, path: config.yaml }]
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
- name: config
  mountPath: /etc/bwdc-runner
  readOnly: true
- name: instances
  mountPath: /etc/bwdc-runner-instances
  readOnly: true
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
