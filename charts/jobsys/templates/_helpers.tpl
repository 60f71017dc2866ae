{{- define "jobsys.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jobsys.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains (include "jobsys.name" .) .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "jobsys.name" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
A component's own ServiceAccount, so that each pod gets only its own AWS role: (list $ "api"),
the key of the component's values. <fullname>-<component>, unless the component names another.
*/}}
{{- define "jobsys.serviceAccountName" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $account := (index $root.Values $key).serviceAccount -}}
{{- if $account.create -}}
{{- default (printf "%s-%s" (include "jobsys.fullname" $root) (include "jobsys.componentName" $key)) $account.name -}}
{{- else -}}
{{- required (printf "%s.serviceAccount.name is required when %s.serviceAccount.create is false: one ServiceAccount per component" $key $key) $account.name -}}
{{- end -}}
{{- end -}}

{{/* The component's name in object names and labels, from its values key: dlqRunner is dlq-runner. */}}
{{- define "jobsys.componentName" -}}
{{- . | kebabcase -}}
{{- end -}}

{{/* Selector labels of one component: (list $ "api"). */}}
{{- define "jobsys.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "jobsys.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "jobsys.labels" -}}
{{ include "jobsys.selectorLabels" . }}
app.kubernetes.io/part-of: jobsys
app.kubernetes.io/managed-by: {{ (index . 0).Release.Service }}
helm.sh/chart: {{ printf "%s-%s" (index . 0).Chart.Name (index . 0).Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* An image by its key in .Values.images: (list $ "api"). */}}
{{/*
An image by its key in .Values.images, at image.tag; the emulators' (localAws) at dev.imageTag when
set, so that upgrading jobsys need not replace them and lose what they hold in memory.
*/}}
{{- define "jobsys.image" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $name := index $root.Values.images $key -}}
{{- $tag := toString $root.Values.image.tag -}}
{{- if and (eq $key "localAws") $root.Values.dev.imageTag -}}
{{- $tag = toString $root.Values.dev.imageTag -}}
{{- end -}}
{{- if $root.Values.image.registry -}}
{{- printf "%s/%s:%s" $root.Values.image.registry $name $tag -}}
{{- else -}}
{{- printf "%s:%s" $name $tag -}}
{{- end -}}
{{- end -}}

{{- define "jobsys.localAwsHost" -}}
{{- printf "%s-local-aws" (include "jobsys.fullname" .) -}}
{{- end -}}

{{- define "jobsys.queueUrl" -}}
{{- if .Values.dev.enabled -}}
{{- default (printf "http://%s:%d/123456789012/jobsys-jobs" (include "jobsys.localAwsHost" .) (int .Values.dev.sqsPort)) .Values.aws.queueUrl -}}
{{- else -}}
{{- required "aws.queueUrl is required unless dev.enabled" .Values.aws.queueUrl -}}
{{- end -}}
{{- end -}}

{{- define "jobsys.dlqUrl" -}}
{{- if .Values.dev.enabled -}}
{{- default (printf "http://%s:%d/123456789012/jobsys-jobs-dlq" (include "jobsys.localAwsHost" .) (int .Values.dev.sqsPort)) .Values.aws.dlqUrl -}}
{{- else -}}
{{- required "aws.dlqUrl is required unless dev.enabled" .Values.aws.dlqUrl -}}
{{- end -}}
{{- end -}}

{{- define "jobsys.hasSecret" -}}
{{- if or .Values.dev.enabled .Values.aws.accessKeyId -}}true{{- end -}}
{{- end -}}

{{/*
Env entries from the ConfigMap, one per key, so each container gets only what its service reads
(test/k8s checks them against the services' config fields): (list $ "DDB_TABLE" ...).
*/}}
{{- define "jobsys.configEnv" -}}
{{- $root := index . 0 -}}
{{- range (rest .) }}
- name: {{ . }}
  valueFrom:
    configMapKeyRef:
      name: {{ include "jobsys.fullname" $root }}
      key: {{ . }}
{{- end }}
{{- end -}}

{{/* The region, endpoints and credentials every component's AWS client reads. */}}
{{- define "jobsys.awsEnv" -}}
{{- $keys := list "AWS_REGION" -}}
{{- if .Values.dev.enabled -}}
{{- $keys = append (append $keys "AWS_ENDPOINT_URL_DYNAMODB") "AWS_ENDPOINT_URL_SQS" -}}
{{- else if .Values.aws.endpointUrl -}}
{{- $keys = append $keys "AWS_ENDPOINT_URL" -}}
{{- end -}}
{{- include "jobsys.configEnv" (prepend $keys .) }}
{{- if include "jobsys.hasSecret" . }}
{{- range list "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY" }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ include "jobsys.fullname" $ }}-aws
      key: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Who may call the api's /jobs: the key hashes from the Secret; or, only in dev mode and only when no
key is given, nobody needs one (AUTH_DISABLED). Outside dev mode a missing key list fails the render.
*/}}
{{- define "jobsys.apiAccessEnv" -}}
- name: RATE_LIMIT_PER_SECOND
  value: {{ .Values.api.rateLimit.perSecond | quote }}
- name: RATE_LIMIT_BURST
  value: {{ .Values.api.rateLimit.burst | quote }}
{{- if .Values.dev.enabled }}
{{- /* The drills fake slow and failing work; production never accepts it (docs/api.md). */}}
- name: ALLOW_SIMULATE
  value: "true"
{{- end }}
{{- if .Values.api.auth.apiKeyHashes }}
- name: API_KEY_HASHES
  valueFrom:
    secretKeyRef:
      name: {{ include "jobsys.fullname" . }}-api-keys
      key: API_KEY_HASHES
{{- with .Values.api.auth.adminClients }}
- name: API_ADMIN_CLIENTS
  value: {{ . | quote }}
{{- end }}
{{- else if .Values.dev.enabled }}
- name: AUTH_DISABLED
  value: "true"
{{- else }}
{{- fail "api.auth.apiKeyHashes is required unless dev.enabled: \"<client>:<sha256 hex>,...\" (node api/keys.ts new <client> makes a key and its entry)" }}
{{- end }}
{{- end -}}

{{- define "jobsys.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "jobsys.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* In dev mode: create the table and queues the container is configured for, before it starts. */}}
{{- define "jobsys.bootstrapInitContainer" -}}
{{- if .Values.dev.enabled }}
initContainers:
  - name: bootstrap
    image: {{ include "jobsys.image" (list . "localAws") }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    command: ["node", "dev/bootstrap-main.ts"]
    env:
      {{- include "jobsys.configEnv" (list . "DDB_TABLE" "SQS_QUEUE_URL" "DLQ_URL") | nindent 6 }}
      {{- include "jobsys.awsEnv" . | nindent 6 }}
    resources:
      requests: { cpu: 50m, memory: 64Mi }
      limits: { cpu: 250m, memory: 128Mi }
    securityContext:
      {{- include "jobsys.containerSecurityContext" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/* The metrics port of the api's and the worker's container. */}}
{{- define "jobsys.metricsPort" -}}
- name: metrics
  containerPort: {{ .Values.metrics.port }}
  protocol: TCP
{{- end -}}

{{/* The prometheus.io/* annotations of a pod to scrape (metrics.scrapeAnnotations). */}}
{{- define "jobsys.scrapeAnnotations" -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end -}}
