{{/*
Scheduler mode: every instance's settings as one file `<name>.runner.yaml` (JSON, which YAML reads) and its
inline template as `<name>.data.json`, in blocks of scheduler.instancesPerConfigMap instances (by name):
one ConfigMap per block, so no object nears Kubernetes' 1 MiB limit whatever the number of instances
(docs/kubernetes.md "Shards (scheduler mode)"); a block that would is refused with what to do. The runner
reads them through folder discovery (docs/configuration.md). Returns a JSON list of blocks, each a map of
file name to text.
*/}}
{{- define "bwdc-runner.instanceBlockCount" -}}
{{- $per := int .Values.scheduler.instancesPerConfigMap }}
{{- div (sub (add (len .Values.instances) $per) 1) $per }}
{{- end }}

{{- define "bwdc-runner.instanceBlocks" -}}
{{- $root := .root }}
{{- $per := int $root.Values.scheduler.instancesPerConfigMap }}
{{- $blocks := list }}
{{- $block := dict }}
{{- $size := 0 }}
{{- $count := 0 }}
{{- range $name, $raw := $root.Values.instances }}
{{- $i := include "bwdc-runner.instance" (dict "root" $root "name" $name "instance" $raw) | fromYaml }}
{{- $s := dict }}
{{- if $i.directory }}
{{- $_ := set $s "directory" $i.directory }}
{{- with $i.sync }}{{ $_ := set $s "sync" . }}{{ end }}
{{- end }}
{{- $_ := set $s "schedule" (include "bwdc-runner.schedule" (dict "schedule" $i.schedule "key" (include "bwdc-runner.instanceFullname" (dict "root" $root "name" $name)))) }}
{{- with $i.timeZone }}{{ $_ := set $s "timezone" . }}{{ end }}
{{- $_ := set $s "clientId" $i.clientId }}
{{- $_ := set $s "clientSecret" $i.clientSecret }}
{{- with $i.directorySecret }}{{ $_ := set $s "directorySecret" . }}{{ end }}
{{- with $i.server }}{{ $_ := set $s "server" . }}{{ end }}
{{- $_ := set $s "timeout" $i.timeout }}
{{- $_ := set $s "login" $i.login }}
{{- $_ := set $s "retry" (dict "attempts" $i.retry.attempts "backoff" $i.retry.backoff) }}
{{- with $i.guard }}{{ $_ := set $s "guard" . }}{{ end }}
{{- if hasKey $i "quarantineAfter" }}{{ $_ := set $s "quarantineAfter" (int $i.quarantineAfter) }}{{ end }}
{{- with $i.notify }}{{ $_ := set $s "notify" . }}{{ end }}
{{- with $i.heartbeat }}{{ $_ := set $s "heartbeat" . }}{{ end }}
{{- with $root.Values.scheduler.spread }}{{ $_ := set $s "spread" . }}{{ end }}
{{- $files := dict (printf "%s.runner.yaml" $name) (toJson $s) }}
{{- if and $raw $raw.dataJson }}{{ $_ := set $files (printf "%s.data.json" $name) (toJson $raw.dataJson) }}{{ end }}
{{- $n := 0 }}
{{- range $k, $v := $files }}{{ $n = add $n (len $k) (len $v) 8 }}{{ end }}
{{- if eq $count $per }}
{{- $blocks = append $blocks $block }}{{ $block = dict }}{{ $size = 0 }}{{ $count = 0 }}
{{- end }}
{{- $block = merge $block $files }}{{ $size = add $size $n }}{{ $count = add1 $count }}
{{- /* Quoting in the manifest adds about a sixth; Kubernetes refuses a ConfigMap of 1 MiB. */}}
{{- if gt $size 800000 }}
{{- fail (printf "scheduler mode: the ConfigMap of instances block %d (instances up to %s) would pass 800 kB (1 MiB is Kubernetes' limit): lower scheduler.instancesPerConfigMap (now %d), or move large inline dataJson templates to dataJsonConfigMap" (len $blocks) $name $per) }}
{{- end }}
{{- end }}
{{- if $block }}{{ $blocks = append $blocks $block }}{{ end }}
{{- toJson $blocks }}
{{- end }}
