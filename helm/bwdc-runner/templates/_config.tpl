{{/*
The runner's configuration, the same for both modes (docs/kubernetes.md "Configuration"): config.yaml
(globals and `defaults`) in `<fullname>-config`, and each instance a file `<name>.runner.yaml` (its inline
template `<name>.data.json`) in the blocks `<fullname>-instances-<k>`, read by folder discovery. The
chart writes settings as given; the runner merges, parses and validates them. The chart only drops what
is its own (suspend, resources, where a template comes from), and names what `H` is hashed from (`scheduleKey`:
the instance's CronJob name); a CronJob's own schedule is made concrete the same way (_helpers.tpl).
*/}}

{{/* Settings as the runner reads them: the chart's own keys and empty values left out. .values, .at */}}
{{- define "bwdc-runner.runnerSettings" -}}
{{- $out := dict }}
{{- if hasKey .values "timeZone" }}
{{- fail (printf "%s.timeZone: renamed timezone in chart 0.2.0 (the runner's spelling): write %s.timezone" .at .at) }}
{{- end }}
{{- range $k, $v := omit .values "suspend" "resources" "dataJson" "dataJsonConfigMap" "schedule" }}
{{- if or (kindIs "bool" $v) (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) (not (empty $v)) }}{{ $_ := set $out $k $v }}{{ end }}
{{- end }}
{{- /* Helm reads a bare `on:` as the key "true" (YAML 1.1): give it its name back. */}}
{{- with $out.notify }}
{{- $targets := list }}
{{- range $t := . }}
{{- $t = deepCopy $t }}
{{- if hasKey $t "true" }}{{ $_ := set $t "on" (get $t "true") }}{{ $_ := unset $t "true" }}{{ end }}
{{- $targets = append $targets $t }}
{{- end }}
{{- $_ := set $out "notify" $targets }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* config.yaml: the process's settings and the defaults every instance file is merged over. */}}
{{- define "bwdc-runner.configYaml" -}}
{{- $d := include "bwdc-runner.runnerSettings" (dict "values" (default dict .Values.defaults) "at" "defaults") | fromJson }}
{{- if and (not $d.clientSecret) (include "bwdc-runner.hasSecret" .) }}{{ $_ := set $d "clientSecret" "file:///var/run/secrets/bwdc/client-secret" }}{{ end }}
stateDir: /var/lib/bwdc-runner
{{- if eq .Values.mode "scheduler" }}
concurrency: {{ .Values.scheduler.concurrency }}
bwdcNice: {{ .Values.scheduler.bwdcNice }}
shutdownGrace: {{ .Values.scheduler.shutdownGrace | quote }}
runOnStart: {{ .Values.scheduler.runOnStart }}
httpPort: {{ .Values.scheduler.port }}
{{- with .Values.scheduler.spread }}{{ $_ := set $d "spread" . }}{{ end }}
{{- else }}
# One CronJob pod runs one instance once: no HTTP endpoints; its grace stays under the pod's.
shutdownGrace: {{ .Values.cronjob.shutdownGrace | quote }}
httpPort: "off"
{{- end }}
# Each instance is a file <name>.runner.yaml (and its template <name>.data.json) in one of the
# -instances-<k> ConfigMaps, read by folder discovery (docs/configuration.md); a CronJob pod mounts its own.
instancesDir: /etc/bwdc-runner-instances
defaults: {{ toJson $d }}
{{- end }}

{{/*
Every instance's files, in blocks of scheduler.instancesPerConfigMap instances (by name): one ConfigMap
each, so no object nears Kubernetes' 1 MiB whatever the number of instances (docs/kubernetes.md "How many
instances one release holds"); a block that would is refused with what to do. The instance with index I
(by name) is in block I / instancesPerConfigMap. A JSON list of blocks, each a map of file name to text.
*/}}
{{- define "bwdc-runner.instanceBlocks" -}}
{{- $root := .root }}
{{- $per := int $root.Values.scheduler.instancesPerConfigMap }}
{{- $blocks := list }}
{{- $block := dict }}
{{- $size := 0 }}
{{- $count := 0 }}
{{- range $name, $raw := $root.Values.instances }}
{{- include "bwdc-runner.checkName" $name }}
{{- $raw = default dict $raw }}
{{- $s := include "bwdc-runner.runnerSettings" (dict "values" $raw "at" (printf "instances.%s" $name)) | fromJson }}
{{- with default $root.Values.defaults.schedule $raw.schedule }}{{ $_ := set $s "schedule" . }}{{ end }}
{{- /* H is the runner's to resolve (src/shared/cron-hash.ts), from the CronJob's name in both modes */}}
{{- $_ := set $s "scheduleKey" (include "bwdc-runner.instanceFullname" (dict "root" $root "name" $name)) }}
{{- $files := dict (printf "%s.runner.yaml" $name) (toJson $s) }}
{{- if $raw.dataJson }}{{ $_ := set $files (printf "%s.data.json" $name) (toJson $raw.dataJson) }}{{ end }}
{{- $n := 0 }}
{{- range $k, $v := $files }}{{ $n = add $n (len $k) (len $v) 8 }}{{ end }}
{{- if eq $count $per }}
{{- $blocks = append $blocks $block }}{{ $block = dict }}{{ $size = 0 }}{{ $count = 0 }}
{{- end }}
{{- $block = merge $block $files }}{{ $size = add $size $n }}{{ $count = add1 $count }}
{{- /* Quoting in the manifest adds about a sixth; Kubernetes refuses a ConfigMap of 1 MiB. */}}
{{- if gt $size 800000 }}
{{- fail (printf "the ConfigMap of instances block %d (instances up to %s) would pass 800 kB (1 MiB is Kubernetes' limit): lower scheduler.instancesPerConfigMap (now %d), or move large inline dataJson templates to dataJsonConfigMap" (len $blocks) $name $per) }}
{{- end }}
{{- end }}
{{- if $block }}{{ $blocks = append $blocks $block }}{{ end }}
{{- toJson $blocks }}
{{- end }}

{{- define "bwdc-runner.instanceBlockCount" -}}
{{- $per := int .Values.scheduler.instancesPerConfigMap }}
{{- div (sub (add (len .Values.instances) $per) 1) $per }}
{{- end }}
