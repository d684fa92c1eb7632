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

{{/* A duration (90s, 1h30m, 500ms, bare seconds) in whole seconds, rounded up, for the Kubernetes fields
that take seconds: the runner's reading (src/shared/duration.ts; test/chart-config.test.ts compares them). */}}
{{- define "bwdc-runner.seconds" -}}
{{- $d := toString . | trim }}
{{- if regexMatch "^[0-9]+$" $d }}{{ atoi $d }}
{{- else }}
{{- $ms := 0 }}
{{- range $part := regexFindAll "[0-9]+(ms|s|m|h|d)" $d -1 }}
{{- $u := regexFind "[a-z]+$" $part }}
{{- $ms = add $ms (mul (regexFind "^[0-9]+" $part | atoi) (get (dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000) $u)) }}
{{- end }}
{{- div (add $ms 999) 1000 }}
{{- end }}
{{- end }}

{{/* H in the minute or hour field replaced by a value from the key (like Jenkins' H), as the runner resolves it
(src/shared/cron-hash.ts): a CronJob needs a concrete schedule; test/chart-config.test.ts compares the two.
Fields split on any whitespace, as the runner does. An H it does not take is refused in its words.
.schedule, .key, .at */}}
{{- define "bwdc-runner.schedule" -}}
{{- $hash := adler32sum .key | atoi }}
{{- $fields := regexSplit "\\s+" (.schedule | trim) -1 }}
{{- $out := list }}
{{- range $i, $f := $fields }}
{{- if and (eq $i 0) (eq $f "H") }}{{ $out = append $out (toString (mod $hash 60)) }}
{{- else if and (eq $i 1) (eq $f "H") }}{{ $out = append $out (toString (mod (div $hash 60) 24)) }}
{{- else if and (eq $i 0) (regexMatch "^H/[0-9]*[1-9][0-9]*$" $f) }}{{ $out = append $out (printf "%d/%s" (mod $hash (atoi (trimPrefix "H/" $f))) (trimPrefix "H/" $f)) }}
{{- else }}{{ $out = append $out $f }}{{ end }}
{{- end }}
{{- if regexMatch "\\bH\\b" (join " " $out) }}
{{- fail (printf "%s.schedule: %q is not a schedule: H is taken in a 5-field schedule as the minute (H, H/N) or the hour (H), e.g. \"H */6 * * *\"" .at .schedule) }}
{{- end }}
{{- join " " $out }}
{{- end }}

{{/*
What the pod's shape needs of one instance (its secret keys, CronJob schedule, deadlines, resources): each
field the instance's, else defaults'. The runner merges the settings it runs with itself (config.yaml's
defaults under the instance file). .root, .name
*/}}
{{- define "bwdc-runner.podView" -}}
{{- $raw := default dict (get .root.Values.instances .name) }}
{{- $v := merge (deepCopy $raw) (deepCopy .root.Values.defaults) }}
{{- if and (not $v.clientSecret) (include "bwdc-runner.hasSecret" .root) }}{{ $_ := set $v "clientSecret" "file:///var/run/secrets/bwdc/client-secret" }}{{ end }}
{{- toJson $v }}
{{- end }}

{{/*
The keys of the chart's Secret a pod may read (docs/kubernetes.md "Per-instance secrets"): those its
instances' references name under /var/run/secrets/bwdc/, plus Vault's token or AppRole secret id.
.root, .names (instance names). A JSON list, sorted.
*/}}
{{- define "bwdc-runner.secretKeys" -}}
{{- $keys := list }}
{{- range $name := .names }}
{{- $i := include "bwdc-runner.podView" (dict "root" $.root "name" $name) | fromJson }}
{{- $refs := list (default "" $i.clientSecret) (default "" $i.directorySecret) (default "" $i.heartbeat) }}
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
