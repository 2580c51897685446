-- The reference view's two inserts in one transaction (bench/reference/views.py), so that
-- pgbench measures the database ceiling of the same work. Ids are random per transaction.
\set r random(1, 1000000000000)
BEGIN;
INSERT INTO bench_reference_refpayment (id, app, external_ref, amount, currency, status, amount_refunded, email, contact, metadata, razorpay_order_id, razorpay_payment_id, created_at, updated_at)
VALUES ('pgb_' || :client_id || '_' || :r, 'pgbench', 'ref-' || :client_id || '-' || :r, 1000, 'INR', 'created', 0, 'buyer@example.com', '+919876543210', '{"cart": "c1"}', NULL, '', now(), now());
INSERT INTO bench_reference_refidempotencykey (app, operation, key, fingerprint, status, locked_until, response_status, response_body, created_at, expires_at)
VALUES ('pgbench', 'payments.initiate', 'key-' || :client_id || '-' || :r, md5(:r::text) || md5(:client_id::text), 'completed', now(), 201, '{"id": "pmt_0123456789abcdef0123456789", "status": "created", "amount": 1000, "currency": "INR", "externalRef": "ref-1-2", "email": "buyer@example.com", "contact": "+919876543210", "metadata": {"cart": "c1"}, "createdAt": "2026-11-26T04:00:00.000000Z"}', now(), now() + interval '24 hours');
END;
