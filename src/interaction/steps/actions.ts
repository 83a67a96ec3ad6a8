/**
 * The required actions this server performs, by Keycloak alias (each a step file; finishing one:
 * complete.ts). VERIFY_PROFILE (Keycloak 24+: the profile misses a required attribute) is
 * answered by the UPDATE_PROFILE page.
 */
import type { PerformableAction } from '../../realm/required-actions.ts';
import { configureTotp } from './configure-totp.ts';
import { termsAndConditions } from './terms.ts';
import { updatePassword } from './update-password.ts';
import { updateProfile, verifyProfile } from './update-profile.ts';
import { verifyEmail } from './verify-email.ts';
import type { RequiredActionStep } from './types.ts';

export const ACTION_STEPS: Record<PerformableAction, RequiredActionStep> = {
  CONFIGURE_TOTP: configureTotp,
  TERMS_AND_CONDITIONS: termsAndConditions,
  UPDATE_PASSWORD: updatePassword,
  UPDATE_PROFILE: updateProfile,
  VERIFY_EMAIL: verifyEmail,
  VERIFY_PROFILE: verifyProfile,
};
