/**
 * Pretrained-weight transplantation: copy weights from a source model into a target model of a
 * changed architecture, with an explicit plan and report ({@link
 * dev.initkit.transplant.Transplanter}).
 */
package dev.initkit.transplant;
