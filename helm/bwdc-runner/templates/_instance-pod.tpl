{{/*
The pod of one instance in cronjob mode: its CronJob's (args: run) and its `helm test` pod's (args:
check, docs/kubernetes.md "helm test"), one definition so the test checks exactly what the CronJob runs.
It mounts config.yaml and only its own instance's files (and projects only its own secret keys).
.root, .name, .block (its -instances-<k>), .args; .test: a throwaway state folder (never the CronJob's
claim, never its lock).
*/}}
{{- define "bwdc-runner.instancePod" -}}
{{- $raw := default dict (get .root.Values.instances .name) }}
{{- $i := include "bwdc-runner.podView" (dict "root" .root "name" .name) | fromJson }}
{{- $full := include "bwdc-runner.instanceFullname" (dict "root" .root "name" .name) }}
{{- $keys := include "bwdc-runner.secretKeys" (dict "root" .root "names" (list .name)) | fromJsonArray }}
restartPolicy: Never
# Above the runner's shutdown grace plus the 5 s it gives bwdc between SIGTERM and SIGKILL.
terminationGracePeriodSeconds: {{ add (include "bwdc-runner.seconds" .root.Values.cronjob.shutdownGrace | atoi) 15 }}
{{ include "bwdc-runner.podSettings" .root }}
containers:
  - name: bwdc-runner
    image: {{ include "bwdc-runner.image" .root }}
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    args: {{ toJson .args }}
    env:
      {{- with .root.Values.cronjob.pushgatewayUrl }}
      - name: PUSHGATEWAY_URL
        value: {{ . | quote }}
      {{- end }}
      {{- include "bwdc-runner.commonEnv" .root | nindent 6 }}
    securityContext:
      {{- toYaml .root.Values.securityContext | nindent 6 }}
    resources:
      {{- if $i.resources }}
      {{- toYaml $i.resources | nindent 6 }}
      {{- else }}
      {{- /* One bwdc at a time: a sync is one bwdc start (the import gate adds none). */}}
      {{- include "bwdc-runner.measuredResources" (dict "n" 1 "cpu" "50m") | nindent 6 }}
      {{- end }}
    volumeMounts:
      {{- include "bwdc-runner.commonMounts" (dict "root" .root "keys" $keys) | nindent 6 }}
volumes:
  # Its own files of its block: another instance's settings are not in the pod.
  - name: instances
    projected:
      sources:
        - configMap:
            name: {{ include "bwdc-runner.fullname" .root }}-instances-{{ .block }}
            items:
              - { key: {{ printf "%s.runner.yaml" .name | quote }}, path: {{ printf "%s.runner.yaml" .name | quote }} }
              {{- if $raw.dataJson }}
              - { key: {{ printf "%s.data.json" .name | quote }}, path: {{ printf "%s.data.json" .name | quote }} }
              {{- end }}
        {{- with $raw.dataJsonConfigMap }}
        - configMap:
            name: {{ .name }}
            items: [{ key: {{ .key | default "data.json" | quote }}, path: {{ printf "%s.data.json" $.name | quote }} }]
        {{- end }}
  - name: state
    {{- if and .root.Values.state.persistence.enabled (not .test) }}
    persistentVolumeClaim: { claimName: {{ $full }}-state }
    {{- else }}
    emptyDir: { sizeLimit: 64Mi }
    {{- end }}
  {{- include "bwdc-runner.commonVolumes" (dict "root" .root "keys" $keys) | nindent 2 }}
{{- end }}
