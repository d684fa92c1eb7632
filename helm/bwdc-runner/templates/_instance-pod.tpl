{{/*
The pod of one instance in cronjob mode: its CronJob's (args: run) and its `helm test` pod's (args:
check, docs/kubernetes.md "helm test"), one definition so the test checks exactly what the CronJob runs.
.root, .name, .args; .test: a throwaway state folder (never the CronJob's claim, never its lock).
*/}}
{{- define "bwdc-runner.instancePod" -}}
{{- $raw := default dict (get .root.Values.instances .name) }}
{{- $i := include "bwdc-runner.instance" (dict "root" .root "name" .name "instance" $raw) | fromYaml }}
{{- $full := include "bwdc-runner.instanceFullname" (dict "root" .root "name" .name) }}
{{- $keys := include "bwdc-runner.secretKeys" (dict "root" .root "instances" (list $i)) | fromJsonArray }}
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
      - name: BWDC_INSTANCE
        value: {{ .name | quote }}
      {{- if $i.directory }}
      - name: BWDC_RUNNER_CONFIG
        value: /etc/bwdc-runner/template/config.yaml
      {{- else }}
      - name: BWDC_DATA_JSON
        value: /etc/bwdc-runner/template/data.json
      {{- end }}
      - name: BW_CLIENTID
        value: {{ $i.clientId | quote }}
      - name: BW_CLIENTSECRET
        value: {{ $i.clientSecret | quote }}
      {{- if $i.directorySecret }}
      - name: BWDC_DIRECTORY_SECRET
        value: {{ $i.directorySecret | quote }}
      {{- end }}
      {{- if $i.server }}
      - name: BW_SERVER
        value: {{ $i.server | quote }}
      {{- end }}
      - name: BWDC_LOGIN
        value: {{ $i.login | quote }}
      {{- with $i.notify }}
      - name: BWDC_NOTIFY
        value: {{ toJson . | quote }}
      {{- end }}
      {{- if hasKey $i "quarantineAfter" }}
      - name: BWDC_QUARANTINE_AFTER
        value: {{ int $i.quarantineAfter | quote }}
      {{- end }}
      {{- with $i.heartbeat }}
      - name: BWDC_HEARTBEAT_URL
        value: {{ . | quote }}
      {{- end }}
      {{- with $i.guard }}
      {{- $guard := . }}
      {{- range $key, $var := dict "maxRemovals" "BWDC_GUARD_MAX_REMOVALS" "refuseEmptyDirectory" "BWDC_GUARD_REFUSE_EMPTY" "requireSeats" "BWDC_GUARD_REQUIRE_SEATS" "always" "BWDC_GUARD_ALWAYS" }}
      {{- if hasKey $guard $key }}
      - name: {{ $var }}
        value: {{ get $guard $key | toString | quote }}
      {{- end }}
      {{- end }}
      {{- end }}
      - name: BWDC_TIMEOUT
        value: {{ $i.timeout | quote }}
      - name: BWDC_RETRY_ATTEMPTS
        value: {{ int $i.retry.attempts | quote }}
      - name: BWDC_RETRY_BACKOFF
        value: {{ $i.retry.backoff | quote }}
      - name: BWDC_HTTP_PORT
        value: "off"
      - name: BWDC_SHUTDOWN_GRACE
        value: {{ .root.Values.cronjob.shutdownGrace | quote }}
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
      - name: template
        mountPath: /etc/bwdc-runner/template
        readOnly: true
      {{- include "bwdc-runner.commonMounts" (dict "root" .root "keys" $keys) | nindent 6 }}
volumes:
  - name: template
    configMap:
      {{- if $raw.dataJsonConfigMap }}
      name: {{ $raw.dataJsonConfigMap.name }}
      items: [{ key: {{ $raw.dataJsonConfigMap.key | default "data.json" | quote }}, path: data.json }]
      {{- else if $i.directory }}
      name: {{ include "bwdc-runner.fullname" .root }}-data
      items: [{ key: {{ printf "%s.yaml" .name | quote }}, path: config.yaml }]
      {{- else }}
      name: {{ include "bwdc-runner.fullname" .root }}-data
      items: [{ key: {{ printf "%s.json" .name | quote }}, path: data.json }]
      {{- end }}
  - name: state
    {{- if and .root.Values.state.persistence.enabled (not .test) }}
    persistentVolumeClaim: { claimName: {{ $full }}-state }
    {{- else }}
    emptyDir: { sizeLimit: 64Mi }
    {{- end }}
  {{- include "bwdc-runner.commonVolumes" (dict "root" .root "keys" $keys) | nindent 2 }}
{{- end }}
