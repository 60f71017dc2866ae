import { readFileSync } from 'node:fs';
import type { Component } from '../core/names.ts';

/**
 * ops/ecs/services.json: how the services run. Both get a public IP because, without a NAT
 * gateway (docs/costs.md), that is how a task in the default VPC reaches ECR, SQS and DynamoDB.
 * The worker keeps at least one task: it also runs the sweeper, which re-sends stale jobs.
 */
export interface EcsSettings {
  deployment: {
    minimumHealthyPercent: number;
    maximumPercent: number;
    deploymentCircuitBreaker: { enable: boolean; rollback: boolean };
  };
  services: Record<Component, { desiredCount: number; port?: number; assignPublicIp: 'ENABLED' | 'DISABLED' }>;
  workerAutoscaling: {
    minCapacity: number;
    maxCapacity: number;
    /** Visible messages per running worker task that the policy holds the service to. */
    targetBacklogPerTask: number;
    scaleOutCooldownSeconds: number;
    scaleInCooldownSeconds: number;
  };
  /** How long deploy-ecs waits for a rollout (a circuit-breaker rollback included) before giving up. */
  rolloutWaitSeconds: number;
}

export const ECS_DIR = new URL('../../ecs/', import.meta.url);

export function readEcsSettings(): EcsSettings {
  return JSON.parse(readFileSync(new URL('services.json', ECS_DIR), 'utf8')) as EcsSettings;
}

export function apiPort(settings: EcsSettings): number {
  return settings.services.api.port ?? 8080;
}
