#!/bin/sh
# Regenerates the KEY_ID / signature fixtures with strongSwan's own `pki` tool and
# OpenSSL. Not run by the tests: the outputs are committed (known answers).
# Usage: cd test/data/crypto && sh make-fixtures.sh
set -eu
for i in 1 2; do
	[ -f rsa$i.key.pem ] || pki --gen --type rsa --size 2048 --outform pem > rsa$i.key.pem
	pki --pub --in rsa$i.key.pem --outform pem > rsa$i.pub.pem 2>/dev/null
	pki --pub --in rsa$i.key.pem --outform der > rsa$i.pub.der 2>/dev/null
	# KEY_ID as strongSwan computes it: spk = SHA-1(RSAPublicKey), spki = SHA-1(SPKI).
	pki --keyid --type pub --in rsa$i.pub.pem --id spk --format hex > rsa$i.keyid.spk 2>/dev/null
	pki --keyid --type pub --in rsa$i.pub.pem --id spki --format hex > rsa$i.keyid.spki 2>/dev/null
	pki --keyid --type pub --in rsa$i.pub.pem > rsa$i.keyid.txt 2>/dev/null
	# Other encodings of the same key.
	openssl rsa -in rsa$i.key.pem -RSAPublicKey_out -out rsa$i.pub.pkcs1.pem 2>/dev/null
	openssl rsa -in rsa$i.key.pem -RSAPublicKey_out -outform DER -out rsa$i.pub.pkcs1.der 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in rsa$i.key.pem -out rsa$i.key.pkcs8.pem
	openssl pkcs8 -topk8 -nocrypt -in rsa$i.key.pem -outform DER -out rsa$i.key.pkcs8.der
	openssl rsa -in rsa$i.key.pem -outform DER -out rsa$i.key.der 2>/dev/null
	echo "$(ssh-keygen -i -m PKCS8 -f rsa$i.pub.pem) alice@example" > rsa$i.pub.ssh
done
# A 1024-bit key, which the web UI must refuse by size.
[ -f rsa1024.key.pem ] || pki --gen --type rsa --size 1024 --outform pem > rsa1024.key.pem
pki --pub --in rsa1024.key.pem --outform pem > rsa1024.pub.pem 2>/dev/null
# Signatures made by OpenSSL with rsa1.key.pem over msg.bin, for our verifier.
printf 'signed octets for the AUTH payload test\n' > msg.bin
openssl dgst -sha256 -sign rsa1.key.pem -out msg.sig.sha256 msg.bin
openssl dgst -sha1 -sign rsa1.key.pem -out msg.sig.sha1 msg.bin
openssl dgst -sha256 -sign rsa1.key.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
	-sigopt rsa_mgf1_md:sha256 -out msg.sig.pss256 msg.bin
# A non-RSA key, which must be refused as unsupported.
[ -f ec256.pub.pem ] || openssl ecparam -name prime256v1 -genkey -noout | openssl ec -pubout -out ec256.pub.pem
