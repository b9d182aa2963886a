export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tierwise_tax CELERY_BROKER_URL=redis://127.0.0.1:6379/11 TIERWISE_VAR_DIR=/work/wt/tax/var DJANGO_ALLOW_ASYNC_UNSAFE=true DEBUG=1
