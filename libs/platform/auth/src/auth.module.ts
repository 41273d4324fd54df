import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { authConfigFromEnv, type AuthConfig } from './auth.config';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtVerifier } from './jwt.verifier';
import { PrincipalTraceInterceptor } from './principal-trace.interceptor';

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

export interface AuthModuleOptions {
  /** defaults to authConfigFromEnv() */
  config?: AuthConfig;
  /** register the guard and the interceptor for every route (default true) */
  global?: boolean;
}

@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions = {}): DynamicModule {
    const config = options.config ?? authConfigFromEnv();
    const providers: Provider[] = [
      { provide: AUTH_CONFIG, useValue: config },
      { provide: JwtVerifier, useFactory: () => new JwtVerifier(config) },
      JwtAuthGuard,
      PrincipalTraceInterceptor,
    ];
    if (options.global ?? true) {
      providers.push({ provide: APP_GUARD, useExisting: JwtAuthGuard }, { provide: APP_INTERCEPTOR, useExisting: PrincipalTraceInterceptor });
    }
    return {
      module: AuthModule,
      global: true,
      providers,
      exports: [AUTH_CONFIG, JwtVerifier, JwtAuthGuard, PrincipalTraceInterceptor],
    };
  }
}
