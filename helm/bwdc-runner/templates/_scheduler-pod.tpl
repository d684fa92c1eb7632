{{/*
The scheduler's pod in scheduler mode: the StatefulSet's (args: schedule) and its `helm test` pod's
(args: check), one definition so the test checks exactly what the scheduler reads. .root, .args;
.test: no ports or probes, no shard (it checks every instance), a throwaway state folder.
*/}}
{{- define "bwdc-runner.schedulerPod" -}}
{{- $root := .root }}
{{- $keys := include "bwdc-runner.secretKeys" (dict "root" $root "names" (keys $root.Values.instances | sortAlpha)) | fromJsonArray }}
{{ include "bwdc-runner.podSettings" $root }}
{{- if .test }}
restartPolicy: Never
{{- else }}
terminationGracePeriodSeconds: {{ $root.Values.scheduler.terminationGracePeriodSeconds }}
{{- end }}
containers:
  - name: bwdc-runner
    image: {{ include "bwdc-runner.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: {{ toJson .args }}
    env:
      {{- if $root.Values.scheduler.control.enabled }}
      - name: BWDC_CONTROL_DIR
        value: /var/lib/bwdc-runner-control
      {{- end }}
      {{- if not .test }}
      # Each pod runs its share: I from its name <statefulset>-<I> (docs/scheduler.md "Shards").
      - name: BWDC_SHARD
        value: {{ printf "auto/%d" (int $root.Values.scheduler.replicas) | quote }}
      {{- end }}
      {{- include "bwdc-runner.commonEnv" $root | nindent 6 }}
      {{- if and $root.Values.scheduler.adminToken.existingSecret (not .test) }}
      # The admin endpoints' token (docs/operations.md "Admin endpoints"): a mounted Secret, re-read on rotation.
      - name: BWDC_ADMIN_TOKEN_FILE
        value: /etc/bwdc-runner-admin/{{ $root.Values.scheduler.adminToken.key }}
      {{- end }}
    {{- if not .test }}
    ports:
      - name: http
        containerPort: {{ $root.Values.scheduler.port }}
        protocol: TCP
    livenessProbe:
      httpGet: { path: /healthz, port: http }
      periodSeconds: 30
      timeoutSeconds: 5
      failureThreshold: 3
    readinessProbe:
      httpGet: { path: /readyz, port: http }
      periodSeconds: 10
    {{- end }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    resources:
      {{- if $root.Values.scheduler.resources }}
      {{- toYaml $root.Values.scheduler.resources | nindent 6 }}
      {{- else }}
      {{- include "bwdc-runner.measuredResources" (dict "n" (int $root.Values.scheduler.concurrency) "cpu" "200m") | nindent 6 }}
      {{- end }}
    volumeMounts:
      {{- if $root.Values.scheduler.control.enabled }}
      - name: control
        mountPath: /var/lib/bwdc-runner-control
      {{- end }}
      {{- include "bwdc-runner.commonMounts" (dict "root" $root "keys" $keys) | nindent 6 }}
      {{- if and $root.Values.scheduler.adminToken.existingSecret (not .test) }}
      - name: admin-token
        mountPath: /etc/bwdc-runner-admin
        readOnly: true
      {{- end }}
volumes:
  # Every block of instances, and the templates from ConfigMaps of the user's, in one folder: an instance
  # added, changed or removed in a block is reloaded in place, not restarted.
  - name: instances
    projected:
      sources:
        {{- range $k := until (include "bwdc-runner.instanceBlockCount" $root | int) }}
        - configMap:
            name: {{ include "bwdc-runner.fullname" $root }}-instances-{{ $k }}
        {{- end }}
        {{- range $name, $raw := $root.Values.instances }}
        {{- if and $raw $raw.dataJsonConfigMap }}
        - configMap:
            name: {{ $raw.dataJsonConfigMap.name }}
            items: [{ key: {{ $raw.dataJsonConfigMap.key | default "data.json" | quote }}, path: {{ printf "%s.data.json" $name | quote }} }]
        {{- end }}
        {{- end }}
  {{- with $root.Values.scheduler.control }}
  {{- if .enabled }}
  - name: control
    persistentVolumeClaim: { claimName: {{ .existingClaim | default (printf "%s-control" (include "bwdc-runner.fullname" $root)) }} }
  {{- end }}
  {{- end }}
  {{- /* With persistence, the StatefulSet's volumeClaimTemplates give each replica its own `state`. */}}
  {{- if or .test (not $root.Values.state.persistence.enabled) }}
  - name: state
    emptyDir: { sizeLimit: 256Mi }
  {{- end }}
  {{- include "bwdc-runner.commonVolumes" (dict "root" $root "keys" $keys) | nindent 2 }}
  {{- if and $root.Values.scheduler.adminToken.existingSecret (not .test) }}
  - name: admin-token
    secret:
      secretName: {{ $root.Values.scheduler.adminToken.existingSecret }}
      defaultMode: 0400
      items: [{ key: {{ $root.Values.scheduler.adminToken.key | quote }}, path: {{ $root.Values.scheduler.adminToken.key | quote }} }]
  {{- end }}
{{- end }}
